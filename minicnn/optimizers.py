"""Optimizers: RMSprop, SGD and Adam with Keras' update rules, in place.

An optimizer walks the model's trainable ``(layer, key)`` slots and updates
``layer.params[key]`` from ``layer.grads[key]``. Per-weight state (RMSprop's
running mean of squares, momentum, Adam's moments) is made on first use, next
to the weight and with its array module. Frozen weights are never visited, so
they get neither updates nor state.
"""
from .backend import get_array_module


class Optimizer:
    """Base: ``apply_gradients(slots)`` runs ``update(param, grad, state)`` on each slot.

    Args:
        learning_rate: step size (the book's ``lr=`` spelling is accepted too).
    """

    state_names = ()

    def __init__(self, learning_rate=0.001, lr=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(kwargs)}")
        self.learning_rate = float(lr if lr is not None else learning_rate)
        if self.learning_rate <= 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be positive, "
                             f"got {self.learning_rate}")
        self.name = name or type(self).__name__
        self.iterations = 0
        self._slots = {}  # id(param) -> (param, state dict); the param is kept alive

    @property
    def lr(self):
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        self.learning_rate = float(value)

    def state_for(self, param):
        """This weight's state arrays (zeros of its shape on first use)."""
        entry = self._slots.get(id(param))
        if entry is None or entry[0] is not param:
            xp = get_array_module(param)
            entry = (param, {name: xp.zeros_like(param) for name in self.state_names})
            self._slots[id(param)] = entry
        return entry[1]

    def saved_state(self, param):
        """This weight's state arrays if it has any yet, else ``None`` (nothing is made)."""
        entry = self._slots.get(id(param))
        return entry[1] if entry is not None and entry[0] is param else None

    @property
    def has_state(self):
        """Whether any weight has state yet (an untrained optimizer has none)."""
        return bool(self._slots)

    def apply_gradients(self, slots):
        """Update every ``layer.params[key]`` of ``slots`` in place; count one iteration."""
        for layer, key in slots:
            param = layer.params[key]
            self.update(param, layer.grads[key], self.state_for(param))
        self.iterations += 1

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}


class RMSprop(Optimizer):
    """RMSprop as in current Keras::

        a = rho * a + (1 - rho) * g**2
        w -= learning_rate * g / sqrt(a + epsilon)

    (Keras 2.2 and older wrote ``g / (sqrt(a) + epsilon)``: epsilon outside the root.)
    """

    state_names = ("velocity",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update(self, w, g, state):
        xp = get_array_module(w)
        a = state["velocity"]
        a *= self.rho
        a += (1 - self.rho) * g * g
        w -= self.learning_rate * g / xp.sqrt(a + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as Keras::

        v = momentum * v - learning_rate * g
        w += v                                  (plain momentum)
        w += momentum * v - learning_rate * g   (nesterov=True)
    """

    state_names = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def update(self, w, g, state):
        if self.momentum == 0:
            w -= self.learning_rate * g
            return
        v = state["momentum"]
        v *= self.momentum
        v -= self.learning_rate * g
        if self.nesterov:
            w += self.momentum * v - self.learning_rate * g
        else:
            w += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as in Keras, with bias correction folded into the step size::

        m = beta_1 * m + (1 - beta_1) * g;  v = beta_2 * v + (1 - beta_2) * g**2
        w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)
    """

    state_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def saved_state(self, param):
        """This weight's state arrays if it has any yet, else ``None`` (nothing is made)."""
        entry = self._slots.get(id(param))
        return entry[1] if entry is not None and entry[0] is param else None

    @property
    def has_state(self):
        """Whether any weight has state yet (an untrained optimizer has none)."""
        return bool(self._slots)

    def apply_gradients(self, slots):
        t = self.iterations + 1
        self._step = self.learning_rate * (1 - self.beta_2 ** t) ** 0.5 / (1 - self.beta_1 ** t)
        super().apply_gradients(slots)

    def update(self, w, g, state):
        xp = get_array_module(w)
        m, v = state["m"], state["v"]
        m += (1 - self.beta_1) * (g - m)
        v += (1 - self.beta_2) * (g * g - v)
        w -= self._step * m / (xp.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


_BY_NAME = {"rmsprop": RMSprop, "sgd": SGD, "adam": Adam}


def get(identifier):
    """An optimizer from a name (``'rmsprop'``, ``'sgd'``, ``'adam'``) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(_BY_NAME)} "
                     "or an optimizer instance")
