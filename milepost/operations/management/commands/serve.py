"""Serve Milepost with gunicorn (or Django's autoreloading server with --dev)."""

from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class GunicornApplication(BaseApplication):
    """Run a WSGI application in gunicorn with options given in code, not on argv."""

    def __init__(self, application: WSGIHandler, options: dict[str, Any]) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIHandler:
        return self.application


class Command(BaseCommand):
    help = "Serve Milepost over HTTP with gunicorn; static files are served locally by WhiteNoise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server with autoreload"
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int,
        threads: int,
        dev: bool,
        **options: Any,
    ) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(f"Milepost is serving on http://{host}:{port}/  (Ctrl+C stops it)")
        )
        if dev:
            call_command("runserver", f"{host}:{port}", use_reloader=True)
            return
        from django.core.wsgi import get_wsgi_application

        GunicornApplication(
            get_wsgi_application(),
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-",
                "graceful_timeout": 10,
                # No control socket under the home folder: nothing here manages gunicorn at run time.
                "control_socket_disable": True,
            },
        ).run()
