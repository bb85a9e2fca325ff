"""DTensor training without Keras layouts: what runs under Keras 3.

Keras 3 (TensorFlow's default Keras since 2.16) has no DTensor layouts for its
layers under the TensorFlow backend (`keras.dtensor` was tf_keras only), so
this trains an MLP whose weights are `dtensor.DVariable`s directly: the batch
is sharded along the mesh's first dimension and the hidden layer along the
last one when the mesh has two. Every client runs the same program; DTensor
turns each step into one SPMD program over all clients' devices.
(https://www.tensorflow.org/tutorials/distribute/dtensor_ml_tutorial)
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

HIDDEN_UNITS = 128
# Plain SGD with momentum in a few lines: Keras 3's optimizers cannot hold DVariables.
MOMENTUM = 0.9


class MeshMlp:
    """input → hidden (ReLU) → logits, every weight a DVariable on `mesh`."""

    def __init__(self, tf: Any, mesh: Any, inputs: int, classes: int, model_dim: Optional[str], seed: int = 1) -> None:
        dtensor = tf.experimental.dtensor
        self.tf = tf
        hidden_cols = [dtensor.UNSHARDED, model_dim or dtensor.UNSHARDED]
        layouts = {
            "hidden_kernel": dtensor.Layout(hidden_cols, mesh),
            "hidden_bias": dtensor.Layout([model_dim or dtensor.UNSHARDED], mesh),
            "logits_kernel": dtensor.Layout([model_dim or dtensor.UNSHARDED, dtensor.UNSHARDED], mesh),
            "logits_bias": dtensor.Layout([dtensor.UNSHARDED], mesh),
        }
        init = tf.random.stateless_normal
        values = {
            "hidden_kernel": init((inputs, HIDDEN_UNITS), seed=(seed, 1)) * (2.0 / inputs) ** 0.5,
            "hidden_bias": tf.zeros((HIDDEN_UNITS,)),
            "logits_kernel": init((HIDDEN_UNITS, classes), seed=(seed, 2)) * (1.0 / HIDDEN_UNITS) ** 0.5,
            "logits_bias": tf.zeros((classes,)),
        }

        def on_mesh(value: Any, layout: Any) -> Any:
            # The same seeded value on every client, copied replicated, then split as the layout says.
            replicated = dtensor.copy_to_mesh(value, dtensor.Layout.replicated(mesh, value.shape.rank))
            return dtensor.relayout(replicated, layout)

        self.weights: Dict[str, Any] = {name: dtensor.DVariable(on_mesh(values[name], layouts[name])) for name in values}
        self.velocity = {
            name: dtensor.DVariable(dtensor.call_with_layout(tf.zeros, layouts[name], shape=values[name].shape))
            for name in values
        }

    def variables(self) -> Dict[str, Any]:
        return {**self.weights, **{f"velocity_{name}": v for name, v in self.velocity.items()}}

    def __call__(self, images: Any) -> Any:
        tf = self.tf
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        hidden = tf.nn.relu(tf.matmul(flat, self.weights["hidden_kernel"]) + self.weights["hidden_bias"])
        return tf.matmul(hidden, self.weights["logits_kernel"]) + self.weights["logits_bias"]

    def step(self, images: Any, labels: Any, learning_rate: float) -> Tuple[Any, Any]:
        tf = self.tf
        with tf.GradientTape() as tape:
            logits = self(images)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        names = list(self.weights)
        gradients = tape.gradient(loss, [self.weights[name] for name in names])
        for name, gradient in zip(names, gradients):
            self.velocity[name].assign(MOMENTUM * self.velocity[name] + gradient)
            self.weights[name].assign_sub(learning_rate * self.velocity[name])
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=-1), labels), tf.float32))
        return loss, correct

    def step_free(self, images: Any, labels: Any) -> Any:
        """Correct predictions in a batch, without training."""
        tf = self.tf
        logits = self(images)
        return tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=-1), labels), tf.float32))
