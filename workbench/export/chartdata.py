"""Chart data for the deck's native charts whose embedded workbook holds text, never a formula or a link.

PowerPoint's "Edit data" opens the workbook behind a chart in Excel. python-pptx writes it with xlsxwriter's
``write()``, which makes a category or series name starting with ``=`` a live formula and one starting with
``http://`` a hyperlink. Here every text cell is written as a string, formula-safe as in the exported tables
(:func:`workbench.core.safecells.neutralise`). The labels drawn on the slide (the chart's cached values) keep the text
as typed; after "Edit data" a label the quote protects shows that quote, as the same cell of a table does. Both
take their text through :func:`workbench.core.safecells.xml_safe`: a control character in a name would make the chart's
XML unreadable (python-pptx fails on it).
"""

from __future__ import annotations

from contextlib import contextmanager

from pptx.chart import data as pptx_data
from pptx.chart import xlsx as pptx_xlsx
from pptx.util import lazyproperty
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from workbench.core.safecells import text_cell, xml_safe

# xlsxwriter's write() would otherwise turn text into formulas ('=…', '{=…}') and hyperlinks ('http://…').
TEXT_ONLY = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


class _TextSheet(Worksheet):
    """A worksheet whose every text cell is written XML-safe and neutralised, as a shared string."""

    def _write_string(self, row, col, string, cell_format=None):
        # Every text write (write(), write_string(), write_column()) of a string ends here.
        return super()._write_string(row, col, text_cell(str(string)), cell_format)


class _TextWorkbook:
    """python-pptx's workbook writers with a text-only workbook and sheet (they open it in ``_open_worksheet``)."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, TEXT_ONLY)
        worksheet = workbook.add_worksheet(worksheet_class=_TextSheet)
        yield workbook, worksheet
        workbook.close()


class _CategoryWriter(_TextWorkbook, pptx_xlsx.CategoryWorkbookWriter):
    pass


class _XyWriter(_TextWorkbook, pptx_xlsx.XyWorkbookWriter):
    pass


def _label(label):
    """A category label or series name XML can hold (numbers and dates as they are)."""
    return xml_safe(label) if isinstance(label, str) else label


class CategoryChartData(pptx_data.CategoryChartData):
    """python-pptx's category chart data (bars, columns) with XML-safe labels and a formula-safe workbook."""

    @property
    def categories(self):
        return super().categories

    @categories.setter
    def categories(self, labels):
        pptx_data.CategoryChartData.categories.fset(self, [_label(label) for label in labels])

    def add_category(self, label):
        return super().add_category(_label(label))

    def add_series(self, name, values=(), number_format=None):
        return super().add_series(_label(name), values, number_format)

    @lazyproperty
    def _workbook_writer(self):
        return _CategoryWriter(self)


class XyChartData(pptx_data.XyChartData):
    """python-pptx's XY (scatter) chart data with XML-safe series names and a formula-safe workbook."""

    def add_series(self, name, number_format=None):
        return super().add_series(_label(name), number_format)

    @lazyproperty
    def _workbook_writer(self):
        return _XyWriter(self)
