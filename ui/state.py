"""The few session-state keys Keel uses, in one place."""

DATASET_ID = "keel_dataset_id"  # the dataset version the user is working on
MODEL_ID = "keel_model_id"  # the model version the user is looking at
TARGET = "keel_target"  # the column the user wants to predict, per dataset
PENDING_UPLOAD = "keel_pending_upload"  # a parsed upload not yet kept
FLASH = "keel_flash"  # a one-shot success message shown after a rerun
TRAIN_JOB = "keel_train_job"  # a training run in the background
TRAIN_DATASET = "keel_train_dataset"  # the dataset that run is training on
