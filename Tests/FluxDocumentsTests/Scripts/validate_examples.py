#!/usr/bin/env python3
"""Validates workflow documents against docs/workflow.schema.json with the `jsonschema` package.

Usage: validate_examples.py SCHEMA FILE...   (YAML is read with PyYAML, *.json with json)
Prints one line per file ("ok NAME" or "invalid NAME: reason") and exits non-zero if any is invalid.
"""
import json
import sys

import jsonschema
import yaml


def load(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return json.load(f)
        return yaml.safe_load(f)


def main():
    schema_path, files = sys.argv[1], sys.argv[2:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    for path in files:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: list(e.path))
        if errors:
            failures += 1
            for e in errors[:5]:
                where = "/".join(str(p) for p in e.absolute_path)
                print(f"invalid {path}: {where}: {e.message[:300]}")
        else:
            print(f"ok {path}")
    print(f"{len(files) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
