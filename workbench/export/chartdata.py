"""Chart data for the deck's native charts whose embedded workbook holds text, never a formula or a link.

PowerPoint's "Edit data" opens the workbook behind a chart in Excel. python-pptx writes it with xlsxwriter's
``write()``, which makes a category or series name starting with ``=`` a live formula and one starting with
``http://`` a hyperlink. Here every text cell is written as a string, formula-safe as in the exported tables
(:func:`workbench.safecells.neutralise`). The labels drawn on the slide (the chart's cached values) keep the text
as typed; after "Edit data" a label the quote protects shows that quote, as the same cell of a table does.
"""

from __future__ import annotations

from contextlib import contextmanager

from pptx.chart import data as pptx_data
from pptx.chart import xlsx as pptx_xlsx
from pptx.util import lazyproperty
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from workbench.safecells import neutralise

# xlsxwriter's write() would otherwise turn text into formulas ('=…', '{=…}') and hyperlinks ('http://…').
TEXT_ONLY = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


class _TextSheet(Worksheet):
    """A worksheet whose every text cell is written neutralised, as a shared string."""

    def _write_string(self, row, col, string, cell_format=None):
        # Every text write (write(), write_string(), write_column()) of a string ends here.
        return super()._write_string(row, col, neutralise(str(string)), cell_format)


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


class CategoryChartData(pptx_data.CategoryChartData):
    """python-pptx's category chart data (bars, columns) with a formula-safe workbook."""

    @lazyproperty
    def _workbook_writer(self):
        return _CategoryWriter(self)


class XyChartData(pptx_data.XyChartData):
    """python-pptx's XY (scatter) chart data with a formula-safe workbook."""

    @lazyproperty
    def _workbook_writer(self):
        return _XyWriter(self)
