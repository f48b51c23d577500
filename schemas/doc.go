// Package schemas holds the JSON Schemas (draft 2020-12) of Patchbay's wire
// messages and files, embedded in the binary: every *.schema.json file in
// this directory, so other packages' schemas (e.g. compose.schema.json) are
// picked up by adding the file.
//
// Names are file names without ".schema.json": root, hash, submission,
// update, patch-reply, get-reply, create-reply, error. Validate checks a
// document against one; Compile returns the compiled schema. Schemas may
// $ref each other by file name.
package schemas
