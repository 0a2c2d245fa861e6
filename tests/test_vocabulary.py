"""One vocabulary: the one upload decoder (one error behaviour), and the nav bar built from the pages' registry."""

import base64

import pytest

from workbench.core import limits, uploads


def data_url(content: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(content).decode()


def test_an_upload_is_decoded_to_its_bytes_and_text():
    assert uploads.decode(data_url(b"a;b\n1;2\n"), "x.csv") == b"a;b\n1;2\n"
    assert uploads.text(data_url("\ufeffname: Kurýr\n".encode()), "j.yaml") == "name: Kurýr\n"  # BOM dropped


@pytest.mark.parametrize(("contents", "filename", "message"), [
    (None, "x.csv", "^Choose a file first.$"),
    ("", None, "^Choose a file first.$"),
    ("data:text/csv;base64,abcde", "x.csv", "^x.csv: the upload could not be read; choose the file again.$"),
    ("data:text/csv;base64,abcde", None, "^The uploaded file: the upload could not be read; choose the file again.$"),
])
def test_an_unreadable_upload_is_said_in_one_line_naming_the_file(contents, filename, message):
    with pytest.raises(uploads.UploadError, match=message):
        uploads.decode(contents, filename)


def test_an_upload_over_its_limit_is_refused_before_it_is_decoded_naming_the_file():
    with pytest.raises(limits.LimitError, match="^big.yaml: the file is 3 MB; the limit is 2 MB.$"):
        uploads.decode(data_url(bytes(3 * limits.MB)), "big.yaml", limits.DOCUMENT_BYTES)
    assert len(uploads.decode(data_url(bytes(limits.DOCUMENT_BYTES)), "ok.yaml", limits.DOCUMENT_BYTES)) == \
        limits.DOCUMENT_BYTES
    with pytest.raises(ValueError, match="^j.yaml is not UTF-8 text; save it as UTF-8.$"):
        uploads.text(data_url("name: x\n".encode("utf-16")), "j.yaml")


def test_the_nav_bar_lists_the_registered_pages_in_their_order(workspace):
    from cxweb.app import create_app, nav_links

    create_app(workspace)  # registers the pages
    items = nav_links()
    menus = {item.id["key"]: [link.href for link in item.children] for item in items if not hasattr(item, "href")}
    assert menus == {"journeys": ["/", "/map"], "data": ["/data", "/sources"], "customers": ["/customer", "/crm"]}
    shown = [item.href if hasattr(item, "href") else item.id["key"] for item in items]
    assert shown == ["journeys", "data", "/heatmap", "/leaderboards", "/drivers", "/comments", "customers", "/alerts",
                     "/actions", "/roi", "/export"]
    links = [item for item in items if hasattr(item, "href")]
    assert [link.children[1] for link in links][:2] == ["Heatmap", "Leaderboards"]
    assert items[0].children[0].children[0].className == "fa-solid fa-route me-2"
    badges = [link.children[2].id for link in links if len(link.children) > 2]
    assert badges == ["nav-alerts-count"]  # only the alerts page asks for its count
