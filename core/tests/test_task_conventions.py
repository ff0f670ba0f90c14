"""Every task of every installed app says on its decorator which queue it runs on and how long it may take.

Routing comes only from the decorators (config/celery.py holds no routes), so a task without `queue=` would land
on `default`, and one without time limits could hold a worker forever.
"""

import ast
import inspect
import sys
from pathlib import Path

from django.conf import settings

from config.celery import QUEUES, app

REQUIRED_OPTIONS = {"name", "queue", "soft_time_limit", "time_limit"}
# Apps whose tasks get their decorators on their own branches (arch-social, arch-cp); emptied when those land.


def _local_app_tasks():
    app.loader.import_default_modules()
    local = {name for name in settings.INSTALLED_APPS if (Path(settings.BASE_DIR) / name / "apps.py").exists()}
    for task in app.tasks.values():
        module = task.run.__module__
        top = module.split(".")[0]
        if top in local and ".tests" not in module:
            yield top, task


def test_every_local_task_is_found():
    assert {"core.deliver_notice", "tenants.send_password_reset"} <= {t.name for _, t in _local_app_tasks()}


def test_every_task_runs_on_a_queue_the_workers_consume():
    wrong = [
        f"{task.name} -> {getattr(task, 'queue', None)}"
        for app_name, task in _local_app_tasks()
        if getattr(task, "queue", None) not in QUEUES
    ]
    assert wrong == [], f"declare queue= (one of {QUEUES}) on the task decorator"


def _decorator_options(function) -> set[str]:
    tree = ast.parse(inspect.getsource(sys.modules[function.__module__]))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function.__name__:
            return {kw.arg for d in node.decorator_list if isinstance(d, ast.Call) for kw in d.keywords}
    raise AssertionError(f"{function.__qualname__} not found in its module")


def test_every_task_declares_name_queue_and_time_limits_on_its_decorator():
    missing = {
        task.name: sorted(REQUIRED_OPTIONS - _decorator_options(task.run))
        for app_name, task in _local_app_tasks()
        if REQUIRED_OPTIONS - _decorator_options(task.run)
    }
    assert missing == {}


def test_the_workers_consume_every_queue_once():
    procfile = (Path(settings.BASE_DIR) / "Procfile.dev").read_text()
    workers = [line for line in procfile.splitlines() if " worker " in line]
    consumed = [queue for line in workers for queue in line.split("--queues", 1)[1].split()[0].split(",")]
    assert sorted(consumed) == sorted(QUEUES)
