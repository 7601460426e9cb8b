"""Re-execute a run's failed steps the way Dagster's "Re-execute from failure" does.

Run as `python -m tests.reexecute <run_id>` with the pipeline's environment; exits 0 if
the re-execution succeeded, 1 if it failed, and prints the failed steps.
"""

from __future__ import annotations

import sys

from dagster import DagsterInstance, JobDefinition, ReexecutionOptions, execute_job, reconstructable


def warehouse_job() -> JobDefinition:
    from dagster_project.definitions import defs

    return defs().resolve_job_def("warehouse_job")


def main(run_id: str) -> int:
    instance = DagsterInstance.get()
    parent = instance.get_run_by_id(run_id)
    assert parent is not None, f"no run {run_id}"
    result = execute_job(
        reconstructable(warehouse_job),
        instance,
        tags=dict(parent.tags),
        reexecution_options=ReexecutionOptions.from_failure(run_id, instance),
    )
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    executed = sorted({e.step_key for e in result.all_events if e.step_key})
    print(f"re-executed steps: {', '.join(executed)}")
    print(f"failed steps: {', '.join(steps) or 'none'}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
