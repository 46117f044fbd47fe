"""Validates an OpenAPI document: `gateway_openapi_validate.py <file>`.

Exit 0 and `valid` when openapi-spec-validator accepts it, 1 with the error otherwise, 3 when the
validator is not installed in this interpreter (`pip install openapi-spec-validator`).
"""
import json
import sys

try:
    from openapi_spec_validator import validate
except ImportError:
    print("openapi-spec-validator is not installed")
    sys.exit(3)

with open(sys.argv[1], encoding="utf-8") as f:
    document = json.load(f)
try:
    validate(document)
except Exception as error:  # the validator raises several exception types
    print(f"invalid: {error}")
    sys.exit(1)
print("valid")
