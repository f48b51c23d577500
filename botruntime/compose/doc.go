// Package compose reads compose files: YAML documents declaring a host's
// bots (their root connection info, initial settings, connectors, tasks,
// worker policy and restart intensity).
//
// Parse and Load decode the YAML with gopkg.in/yaml.v3, convert it to a JSON
// value while remembering every value's line and column, validate it
// against the JSON Schema schemas/compose.schema.json (draft 2020-12), and
// decode it into a File. Every problem is reported as an *Error naming the
// file, line and column and what was expected ("bots.yaml:7:9:
// bots.greeter.workers.min_idle: must be >= 1 but found 0"); Parse returns
// all of them at once as Errors, which matches ErrInvalid with errors.Is.
// YAML syntax errors carry only a line from the YAML parser; their column
// is reported as 1.
//
// A File does not know which connector and task types exist: the host calls
// File.CheckTypes with the registries' lookups (connector.Lookup,
// task.Lookup) to get positioned errors for unknown types.
//
// Anchors and aliases are expanded (bounded); merge keys ("<<") and custom
// tags are refused.
package compose
