"""An MLP regressor on scikit-learn's bundled diabetes table (442 patients, 10 measurements): which depth,
widths, dropout, activation, learning rate and batch size predict a year's disease progression best.

    archsearch search --task examples/diabetes_mlp.py --out results/runs/diabetes
"""

import keras
from sklearn.datasets import load_diabetes

from archsearch import Choice, Float, Group, Int, KerasTask, Repeated, Space

space = Space({
    "layers": Repeated(Group(units=Int(8, 256, log=True, default=64), dropout=Float(0.0, 0.5)),
                       min_length=1, max_length=4),
    "activation": Choice(["relu", "elu", "tanh"]),
    "learning_rate": Float(1e-4, 3e-2, log=True, default=3e-3),
    "batch_size": Choice([16, 32, 64], default=32),
})


def build(params, input_shape):
    inputs = x = keras.Input(input_shape)
    for layer in params["layers"]:
        x = keras.layers.Dense(layer["units"], activation=params["activation"])(x)
        x = keras.layers.Dropout(layer["dropout"])(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def data():
    # scikit-learn scales each column to unit norm; times sqrt(442) gives unit variance. Targets in hundreds.
    x, y = load_diabetes(return_X_y=True)
    return (x * 442 ** 0.5).astype("float32"), (y / 100).astype("float32")


task = KerasTask(space=space, build=build, data=data, loss="mse", metrics=["mae"], name="diabetes_mlp")
