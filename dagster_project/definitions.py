"""The Dagster definitions of the warehouse, loaded from the `defs/` folder (Dagster's `dg` layout).

`workspace.yaml`, `dg dev` and `csw run` point here. Nothing happens at import: the settings are
read, and the dbt manifest prepared, when Dagster loads the definitions.
"""

from pathlib import Path

import dagster as dg

from dagster_project.defs.resources import load_settings
from dagster_project.lib.dbt_project import ensure_manifest


@dg.definitions
def defs() -> dg.Definitions:
    ensure_manifest(load_settings())  # dagster-dbt builds the dbt assets from the manifest
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
