"""Submissions without the service: ``intake`` (archive safety, streamed extraction, prediction
validation), ``store`` (uploads and runs' predictions archives kept on disk, partial files) and
``model/`` (ONNX model submissions: checked, measured and run in a contained child)."""
