import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import inspect

from tests.serving import copy_workspace
from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint
from workbench.features.workspace import open_workspace

# Speed is measured in bench/, never in a test: a cold import inside an example must not fail it.
settings.register_profile("cxwb", deadline=None)
settings.load_profile("cxwb")

E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items) -> None:
    """Every test under tests/e2e is an end-to-end test (``-m "not e2e"`` leaves them out)."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def migrated_once(tmp_path_factory):
    """Alembic runs once per session: a new SQLite workspace database opened in this process gets the schema by
    copying a database migrated here (an older or a PostgreSQL one is still migrated by Alembic)."""
    from workbench.data import store

    template = tmp_path_factory.mktemp("schema") / store.DATABASE_FILE
    store.connect(f"sqlite:///{template}").dispose()
    original = store.migrate

    def migrate(engine) -> None:
        with engine.connect() as connection:
            new = engine.dialect.name == "sqlite" and not inspect(connection).get_table_names()
            if new:
                with sqlite3.connect(template) as source:
                    source.backup(connection.connection.driver_connection)
        if not new:
            original(engine)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "migrate", migrate)
        yield template


@pytest.fixture(scope="session", autouse=True)
def screenshots(tmp_path_factory) -> Path:
    """Where tests save pictures for a person to look at: ``CXWB_SCREENSHOTS`` if set, else ``screenshots/`` in this
    run's temporary folder (pytest keeps the last three runs'). Never the source tree."""
    folder = Path(os.environ.get("CXWB_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CXWB_SCREENSHOTS", str(folder))  # tests.serving.screenshots_folder() reads it
        yield folder


def pytest_terminal_summary(terminalreporter) -> None:
    folder = os.environ.get("CXWB_SCREENSHOTS")
    if folder and Path(folder).is_dir() and any(Path(folder).iterdir()):
        terminalreporter.write_line(f"Screenshots: {folder}")


@pytest.fixture
def small_journey() -> Journey:
    """Web → cart → (buy | abandon); buy → delivery; a return loop delivery → cart."""
    return Journey(
        name="Shop",
        stages=(Stage("find", "Find"), Stage("buy", "Buy"), Stage("get", "Get")),
        owners=(Owner("Web team"), Owner("Couriers"), Owner("Jana Nováková", "person")),
        touchpoints=(
            Touchpoint("web", "Web", "find", "web", "Web team", entry=True),
            Touchpoint("cart", "Cart", "buy", "web", "Web team", kind="decision"),
            Touchpoint("abandon", "Abandoned", "buy", "web", None, kind="outcome"),
            Touchpoint("delivery", "Delivery", "get", "courier", "Couriers", targets={"csat": 4.5}),
        ),
        edges=(Edge("web", "cart"), Edge("cart", "abandon", share=0.3), Edge("cart", "delivery", share=0.7),
               Edge("delivery", "cart")),
    )


def pytest_generate_tests(metafunc) -> None:
    """A test module that sets ``BACKENDS = ("sqlite", "postgresql")`` runs each test using the ``database_url``
    fixture (the ``workspace`` fixture among them) on both databases; others on SQLite alone."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", getattr(metafunc.module, "BACKENDS", ("sqlite",)), indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The metadata database this test runs on: "sqlite" or "postgresql" (see :func:`pytest_generate_tests`)."""
    return request.param


@pytest.fixture
def database_url(backend, tmp_path):
    """The metadata database of a new workspace: None (SQLite in its folder) or a new, empty PostgreSQL database on
    the server ``CXWB_TEST_POSTGRESQL`` names (an admin URL; ``.ci/run`` starts one), dropped after the test. Without
    that server the PostgreSQL runs are skipped, except in CI, where they fail."""
    if backend == "sqlite":
        yield None
        return
    from tests.databases import fresh_postgresql

    with fresh_postgresql() as url:
        yield url


@pytest.fixture
def workspace(tmp_path, database_url):
    ws = open_workspace(tmp_path / "ws", database_url)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    """A workspace seeded as the app seeds it (``seed_demo``: demo project, 200 000 answers, KPIs, actions, codebook,
    alerts, scenarios), once per session. Never open it: copy it (``tests.serving.copy_workspace``) and use the copy."""
    from workbench.features.demo import seed_demo

    folder = tmp_path_factory.mktemp("demo-template") / "ws"
    with open_workspace(folder) as workspace:
        seed_demo(workspace)
    return folder


@pytest.fixture(scope="session")
def demo_survey(demo_folder, tmp_path_factory):
    """The demo survey (the generator and seed the app uses) in a copy of the seeded demo: journey, sources, effects,
    cache. Read only: the integration tests of several modules share it."""
    from workbench.data import demodata
    from workbench.data.templates import load_template
    from workbench.features.demo import DEMO_DATASETS, DEMO_TEMPLATE

    journey = load_template(DEMO_TEMPLATE)
    effects = demodata.generate(journey).effects  # the realised effects of the 200 000 answers the demo holds
    with open_workspace(copy_workspace(demo_folder, tmp_path_factory.mktemp("demo") / "ws")) as workspace:
        [survey] = [d for p in workspace.projects() for d in workspace.datasets.list(p.id)
                    if d.name == DEMO_DATASETS["survey"]]
        yield journey, (str(survey.path),), effects, workspace.cache


@pytest.fixture(scope="module")
def seeded_demo(demo_folder, tmp_path_factory):
    """A workspace seeded as the app seeds it (demo project, datasets, actions, codebook, alerts, scenarios), one
    copy per test module: workspace, project id, journey id and the planted effects."""
    from workbench.data.demodata import generate
    from workbench.data.templates import load_template

    workspace = open_workspace(copy_workspace(demo_folder, tmp_path_factory.mktemp("seeded") / "ws"))
    [project_id] = [p.id for p in workspace.projects()]
    journey_id = workspace.journeys(project_id)[0].id
    effects = generate(load_template("ecommerce-delivery"), answers=2_000).effects  # the truth is seed-fixed
    yield workspace, project_id, journey_id, effects
    workspace.close()
