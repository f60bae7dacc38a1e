"""Models: turning tables into model input, training, scoring and the model file format."""
