"""Every path template parameter of the OpenAPI schema is declared by each of its operations, and vice versa
(generated clients fill templates from the declared names). Usage: check_path_params.py SCHEMA.yaml"""

import os
import sys
from pathlib import Path

import django
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from core.api.schema import path_parameter_mismatches  # noqa: E402 (needs Django set up)

with open(sys.argv[1]) as handle:
    found = path_parameter_mismatches(yaml.safe_load(handle))
for line in found:
    print(f"path parameter mismatch: {line}")
sys.exit(1 if found else 0)
