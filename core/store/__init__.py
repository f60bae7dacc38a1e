"""The store: the only code that writes SQL or touches files under ``KEEL_HOME``.

Layout under ``KEEL_HOME`` (folder 0700, files 0600)::

    keel.db                     SQLite (WAL) — datasets, models, batches, forecasts, audit log
    datasets/<sha256>.parquet   one file per distinct table content
    models/<sha256>.skops       model files (skops: loading builds only allow-listed types)
    quarantine/                 files no record refers to, moved aside (never deleted unasked)
    install.key                 this installation's key for signing backups (never copied)
    secret.key                  the key for pseudonymising values (travels with backups)
    logs/errors.log             unexpected errors (see core.bugs.log_bug)

Rules the store keeps:

* a short-lived connection per operation (``connect()``), because SQLite connections are
  thread-bound and Streamlit sessions are threads;
* every multi-step change runs inside one ``BEGIN IMMEDIATE`` transaction, so a reader never sees
  half a record and two writers never compute the same version number;
* files are written to a temporary name, flushed to disk and renamed into place *before* the
  row that points at them is committed. A crash leaves at worst an unreferenced file, which
  :func:`quarantine_orphans` moves aside; never a row pointing at a missing or partial file;
* Keel never creates a fresh database where stored files exist, and never deletes a stored file
  because a database does not mention it: a missing, empty or damaged database stops every
  command with the ``restore`` command to run (:class:`StoreDamagedError`);
* only a delete the user asked for deletes stored files, and it forgets their names in the
  audit log too.

Modules: ``db`` (opening, transactions, audit writes), ``schema`` (migrations), ``files`` (atomic
writes, fingerprints, quarantine, keys), ``datasets``, ``registry`` (models), ``apikeys`` (the scoring
API's keys and traffic), ``batches`` (batches, forecasts, audit reads), ``backup`` (backup and restore),
``check``.
"""

from core.store.apikeys import (
    ApiKey,
    TrafficRow,
    api_traffic,
    check_key_name,
    list_api_keys,
    record_api_traffic,
    revoke_api_key,
    save_api_key,
)
from core.store.backup import RestoreReport, backup, restore
from core.store.batches import (
    AuditEntry,
    StoredForecast,
    acknowledge_alert,
    audit_log,
    get_forecast,
    list_batches,
    save_batch,
    save_forecast,
)
from core.store.check import CheckReport, Problem, check
from core.store.datasets import (
    DatasetInfo,
    DeleteImpact,
    delete_dataset,
    delete_impact,
    get_dataset,
    list_datasets,
    load_dataset,
    rename_dataset,
    save_dataset,
    set_column_kinds,
)
from core.store.db import (
    RESTORE_HINT,
    StoreDamagedError,
    StoreUnavailableError,
    acting_as,
    clean_name,
    connect,
    current_actor,
    database_problem,
    database_url,
    db_path,
    forget_checked,
    integrity_check,
    quarantine_orphans,
    schema_version,
    set_actor,
    slug,
)
from core.store.files import quarantined, secret_key
from core.store.registry import (
    CARD_FIELDS,
    STAGES,
    ModelInfo,
    check_model_name,
    delete_model,
    get_model,
    list_models,
    load_model_artifact,
    model_file,
    previous_champion,
    record_decision,
    resolve_model,
    save_model,
    set_stage,
    set_threshold,
    stage_history,
    update_card,
)
from core.store.schema import migrations
from core.store.team import (
    CHANNEL_KINDS,
    MAX_ATTEMPTS,
    RETRAIN_POLICIES,
    ROLES,
    Channel,
    OutgoingAlert,
    Person,
    Schedule,
    add_channel,
    add_schedule,
    claim_file,
    finish_file,
    get_person,
    list_alerts,
    list_channels,
    list_people,
    list_schedules,
    processed_files,
    queue_alert,
    record_delivery,
    remove_channel,
    remove_person,
    remove_schedule,
    set_role,
    take_due_alerts,
    take_due_schedule,
)

__all__ = [
    "CARD_FIELDS",
    "CHANNEL_KINDS",
    "MAX_ATTEMPTS",
    "RESTORE_HINT",
    "RETRAIN_POLICIES",
    "ROLES",
    "STAGES",
    "ApiKey",
    "AuditEntry",
    "Channel",
    "CheckReport",
    "DatasetInfo",
    "DeleteImpact",
    "ModelInfo",
    "OutgoingAlert",
    "Person",
    "Problem",
    "RestoreReport",
    "Schedule",
    "StoreDamagedError",
    "StoreUnavailableError",
    "StoredForecast",
    "TrafficRow",
    "acknowledge_alert",
    "acting_as",
    "add_channel",
    "add_schedule",
    "api_traffic",
    "audit_log",
    "backup",
    "check",
    "check_key_name",
    "check_model_name",
    "claim_file",
    "clean_name",
    "connect",
    "current_actor",
    "database_problem",
    "database_url",
    "db_path",
    "delete_dataset",
    "delete_impact",
    "delete_model",
    "finish_file",
    "forget_checked",
    "get_dataset",
    "get_forecast",
    "get_model",
    "get_person",
    "integrity_check",
    "list_alerts",
    "list_api_keys",
    "list_batches",
    "list_channels",
    "list_datasets",
    "list_models",
    "list_people",
    "list_schedules",
    "load_dataset",
    "load_model_artifact",
    "migrations",
    "model_file",
    "previous_champion",
    "processed_files",
    "quarantine_orphans",
    "quarantined",
    "queue_alert",
    "record_api_traffic",
    "record_decision",
    "record_delivery",
    "remove_channel",
    "remove_person",
    "remove_schedule",
    "rename_dataset",
    "resolve_model",
    "restore",
    "revoke_api_key",
    "save_api_key",
    "save_batch",
    "save_dataset",
    "save_forecast",
    "save_model",
    "schema_version",
    "secret_key",
    "set_actor",
    "set_column_kinds",
    "set_role",
    "set_stage",
    "set_threshold",
    "slug",
    "stage_history",
    "take_due_alerts",
    "take_due_schedule",
    "update_card",
]
