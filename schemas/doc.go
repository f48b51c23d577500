// Package schemas holds the JSON Schemas (draft 2020-12) of Patchbay's wire
// messages and files, embedded in the binary.
package schemas
