import pytest
from hypothesis import settings

from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint
from workbench.features.workspace import open_workspace

# Speed is measured in bench/, never in a test: a cold import inside an example must not fail it.
settings.register_profile("cxwb", deadline=None)
settings.load_profile("cxwb")


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


@pytest.fixture
def workspace(tmp_path):
    ws = open_workspace(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_survey(tmp_path_factory):
    """The demo survey in a fresh workspace (the generator and seed the app uses): journey, sources, effects,
    cache. Read only: the integration tests of several modules share it."""
    from workbench.data import demodata
    from workbench.data.templates import load_template
    from workbench.features.demo import DEMO_DATASETS, DEMO_TEMPLATE

    journey = load_template(DEMO_TEMPLATE)
    data = demodata.generate(journey)
    with open_workspace(tmp_path_factory.mktemp("demo")) as workspace:
        project = workspace.create_project("Demo")
        info = workspace.datasets.add_table(project, data.survey, DEMO_DATASETS["survey"], "survey")
        yield journey, (str(info.path),), data.effects, workspace.cache


@pytest.fixture(scope="module")
def seeded_demo(tmp_path_factory):
    """A workspace seeded as the app seeds it (demo project, datasets, actions, codebook, alerts, scenarios), one
    per test module: workspace, project id, journey id and the planted effects."""
    from workbench.data.demodata import generate
    from workbench.data.templates import load_template
    from workbench.features.demo import seed_demo

    workspace = open_workspace(tmp_path_factory.mktemp("seeded"))
    project_id = seed_demo(workspace)
    journey_id = workspace.journeys(project_id)[0].id
    effects = generate(load_template("ecommerce-delivery"), answers=2_000).effects  # the truth is seed-fixed
    yield workspace, project_id, journey_id, effects
    workspace.close()
