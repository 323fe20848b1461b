"""Turning a registered model into a faster one: ONNX export, graph fusion, int8 quantization, accuracy gates."""
