"""Every session-state key Keel uses, in one place (tests/app/test_state.py fails on any other)."""

DATASET_ID = "keel_dataset_id"  # the dataset version the user is working on
MODEL_ID = "keel_model_id"  # the model version the user is looking at
TARGET = "keel_target"  # the column the user wants to predict, per dataset
FLASH = "keel_flash"  # a one-shot success message shown after a rerun
TRAIN_JOB = "keel_train_job"  # a training run in the background
TRAIN_DATASET = "keel_train_dataset"  # the dataset that run is training on
KEPT_UPLOAD = "keel_kept_upload"  # the file id of the upload already kept (Data), so a rerun keeps it once
UPLOAD_SHEET = "keel_upload_sheet"  # the workbook sheet the user chose for the upload (Data)
RECALIBRATION = "keel_recal_helps"  # (model id, whether recalibrating helps) from the last check (Evaluate)
CUT_OFF_FOUND = "keel_cut_off_found"  # (model id, the cut-off the cost finder chose), until used (Evaluate)
FORECAST_JOB = "keel_forecast_job"  # a forecast running in the background (Forecast)
FORECAST_RESULT = "keel_forecast_result"  # its result, once done
MONITOR_RESULT = "keel_monitor_result"  # the last checked batch's result (Monitor)
MONITOR_FRAME = "keel_monitor_frame"  # that batch's rows, kept for retraining with it
COMPACT = "keel_compact"  # (model id, the smaller variants measured beside it) until one is kept (Models)
