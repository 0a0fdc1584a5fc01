#!/usr/bin/env python3
"""Runs a .tflite model in the TensorFlow Lite interpreter on a seeded random int8 input and
prints every operator output as JSON: the independent reference the Swift host reference
(MCUGen ModelRunner) is checked against. Usage: tflite_reference.py MODEL SEED"""
import json
import sys

import numpy as np
import tflite_runtime.interpreter as tflite

model, seed = sys.argv[1], int(sys.argv[2])
interpreter = tflite.Interpreter(model_path=model, experimental_preserve_all_tensors=True)
interpreter.allocate_tensors()
detail = interpreter.get_input_details()[0]
if detail["dtype"] == np.float32:
    x = np.random.RandomState(seed).standard_normal(size=detail["shape"]).astype(np.float32)
else:
    x = np.random.RandomState(seed).randint(-128, 128, size=detail["shape"]).astype(np.int8)
interpreter.set_tensor(detail["index"], x)
interpreter.invoke()
outputs = {}
for op in interpreter._get_ops_details():
    for index in op["outputs"]:
        value = interpreter.get_tensor(index)
        if value.dtype == np.int8:
            outputs[str(index)] = value.flatten().astype(int).tolist()
        elif value.dtype == np.float32:
            outputs[str(index)] = value.flatten().astype(float).tolist()
json.dump({"input_index": int(detail["index"]), "input": x.flatten().tolist(),
           "ops": [op["op_name"] for op in interpreter._get_ops_details()], "outputs": outputs}, sys.stdout)
