"""Shared test helpers: the book's models, where the test data lives, a local HTTP server."""
import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

from minicnn import layers, models

DATA = Path(__file__).parent / "data"


def book_mnist_convnet(classifier=True):
    """Listing 5-1 (and 5-2 with ``classifier``): the chapter's MNIST convnet."""
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    if classifier:
        model.add(layers.Flatten())
        model.add(layers.Dense(64, activation="relu"))
        model.add(layers.Dense(10, activation="softmax"))
    return model


class Server:
    """Serves the files of ``root`` and records each requested path in ``requests``."""

    def __init__(self, root):
        self.root, self.requests = root, []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def refused_url():
    """A URL on a local port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.bin"


def sha256(data):
    return hashlib.sha256(data).hexdigest()
