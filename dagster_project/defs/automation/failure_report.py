"""What a failed run says, the same on the console (`csw run`) and in the webhook message (the person on call)."""

from collections.abc import Sequence

from dagster import AssetCheckSeverity, DagsterEvent

# Slack shows about 4,000 characters of a message's `text` before it folds it; keep the head, which names
# the check, the table, the loads and the command to decide
WEBHOOK_TEXT_LIMIT = 3500


def failure_paragraph(events: Sequence[DagsterEvent]) -> str:
    """What failed, on which table or check, the evidence, and what to do; then that nothing was published."""
    lines = []
    for e in events:
        if e.event_type_value != "ASSET_CHECK_EVALUATION" or e.asset_check_evaluation_data.passed:
            continue
        check = e.asset_check_evaluation_data
        if check.severity == AssetCheckSeverity.WARN:
            continue
        lines.append(f"FAILED CHECK {check.asset_key.to_user_string()}:{check.check_name}")
        if check.description:
            lines += [f"  {line}" for line in check.description.strip().splitlines()]
    failures = [e for e in events if e.event_type_value == "STEP_FAILURE"]
    # a step that failed every retry ends with "Exceeded max_retries": the reason is its last retry's error
    retried = {
        e.step_key: e.event_specific_data.error
        for e in events
        if e.event_type_value == "STEP_UP_FOR_RETRY" and getattr(e.event_specific_data, "error", None) is not None
    }
    for e in failures:
        data = e.event_specific_data
        user = data.user_failure_data
        if user is not None and user.description:
            lines.append(f"step {e.step_key}: {user.description}")
        elif data.error is not None and not lines:  # an error of ours, not a failed check: say what it was
            error = retried.get(e.step_key, data.error) if "max_retries" in data.error.message else data.error
            while error.cause is not None and (error.cls_name or "").startswith(("Dagster", "RetryRequested")):
                error = error.cause  # Dagster's wrapper says only which op failed; its cause says why
            message = error.message.strip().splitlines()[-1]
            lines.append(f"step {e.step_key} raised: {message}")
            hint = _storage_hint(message)
            if hint:
                lines.append(hint)
    failed = ", ".join(e.step_key for e in failures) or "unknown step"
    lines.append(f"RUN FAILED at: {failed}; nothing was published by this run (BI still reads the last version).")
    return "\n".join(lines)


# what the OS says when a disk is full or a folder is not writable (errno texts, as Python and DuckDB quote them)
STORAGE_ERRORS = {
    "No space left on device": "free space on that disk",
    "Disk quota exceeded": "free space on that disk (or raise the quota)",
    "File too large": "free space on that disk (or raise the file-size limit, ulimit -f)",
    "Permission denied": "give the pipeline's user write access to that path",
    "Read-only file system": "mount that path read-write",
}


def _storage_hint(message: str) -> str | None:
    """What to do when a step could not write (the message names the path), and what the failure left as it was."""
    for text, action in STORAGE_ERRORS.items():
        if text in message:
            return (
                f"What to do: {action} (the path is in the line above), then run again. The published version "
                "and the load log are as they were: a load is recorded only with its rows, and a version is "
                "published by one rename once it is whole."
            )
    return None


def webhook_message(title: str, paragraph: str, **fields: object) -> dict:
    """A Slack-compatible message (`text`) holding the failure paragraph, cut at a line when too long."""
    text = f"{title}\n{paragraph}"
    if len(text) > WEBHOOK_TEXT_LIMIT:
        cut = text.rfind("\n", 0, WEBHOOK_TEXT_LIMIT - 120)
        text = text[: cut if cut > 0 else WEBHOOK_TEXT_LIMIT - 120] + (
            f"\n... ({len(text) - (cut if cut > 0 else WEBHOOK_TEXT_LIMIT - 120):,} more characters: see the run's log "
            "and `csw loads list --rejected`)"
        )
    return {"text": text, **fields}
