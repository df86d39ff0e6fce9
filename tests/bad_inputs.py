"""A corpus of broken inputs, written by the project, each with its expected outcome.

Every case is a small folder of canonical files (``orders.csv`` and friends) built
from bytes, so encodings and separators are exact.  ``expect`` is the exit code of
``insight validate`` (0 clean, 1 rows quarantined, 2 unusable input); ``mentions``
are words the error or the quarantine reasons must contain (file, column, value);
``quarantined`` is how many rows of which table must be set aside.

The corpus is materialised under ``tests/data/bad/<case>/`` by ``write_all`` so a
person can open the files; tests build it in a temp folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HEAD = "order_id,customer_id,order_date,product_id,quantity,unit_price"
GOOD = [
    "o1,c1,2023-04-01,p1,1,120000",
    "o2,c2,2023-04-02,p2,2,80000",
    "o3,c1,2023-04-03,p1,1,120000",
]
CUST = "customer_id,city\nc1,تهران\nc2,مشهد\n"


def csv(*rows: str, head: str = HEAD) -> str:
    return "\n".join([head, *rows]) + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes]
    expect: int | None                            # exit code of `insight validate`; None: 0 or 1
    mentions: tuple[str, ...] = ()                # words the message/reasons must contain
    quarantined: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _u(text: str, enc: str = "utf-8") -> bytes:
    return text.encode(enc)


def cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    good = csv(*GOOD)
    # --- encodings -------------------------------------------------------------------------
    # cp1256 (Windows Arabic) with Persian text: read, not mojibake
    add(Case("cp1256", {"orders.csv": _u(good, "utf-8"), "customers.csv": _u(CUST, "cp1256")},
             0, kept={"customers": 2}, note="Windows-1256 customers file is detected"))
    # UTF-8 with a BOM: the first column name must not carry the BOM
    add(Case("bom", {"orders.csv": b"\xef\xbb\xbf" + _u(good)}, 0, kept={"orders": 3}))
    # UTF-16 with BOM (Excel "Unicode text")
    add(Case("utf16", {"orders.csv": _u(good, "utf-16")}, 0, kept={"orders": 3}))
    # stray undecodable bytes in one row of an otherwise UTF-8 file: still loads, nothing lost
    add(Case("stray_bytes", {"orders.csv": _u(csv(*GOOD[:2])) + b"o3,c1,2023-04-03,p\xff1,1,120000\n"},
             None, note="falls back to cp1256 for the whole file or replaces the byte; 3 rows in"))
    # --- shape -----------------------------------------------------------------------------
    # semicolon-separated export: the required columns are not found -> unusable, names the column
    add(Case("wrong_separator", {"orders.csv": _u(good.replace(",", ";"))}, 2, mentions=("orders",)))
    # ragged rows: a line with too many fields is quarantined (or the file rejected), never dropped
    add(Case("ragged", {"orders.csv": _u(csv(*GOOD, "o4,c2,2023-04-04,p2,1,5000,EXTRA,MORE"))},
             None, note="rows in = kept + quarantined"))
    # embedded newline and quotes inside a quoted text field
    add(Case("embedded_newline", {"orders.csv": _u(good), "reviews.csv": _u(
        'review_id,product_id,created_at,rating,text\n'
        'r1,p1,2023-04-05,5,"عالی بود\nخط دوم با ""نقل قول"""\n'
        'r2,p2,2023-04-06,1,بد\n')}, 0, kept={"reviews": 2}))
    add(Case("empty_file", {"orders.csv": b""}, 2, mentions=("orders",)))
    add(Case("header_only", {"orders.csv": _u(HEAD + "\n")}, 2, mentions=("orders",)))
    # duplicated header names: ambiguous column -> unusable, names the column
    add(Case("duplicated_headers", {"orders.csv": _u(csv("o1,c1,2023-04-01,p1,1,120000,5",
                                                       head=HEAD + ",quantity"))}, 2, mentions=("quantity",)))
    add(Case("missing_required_column", {"orders.csv": _u(csv("o1,c1,2023-04-01,p1,1",
                                                             head="order_id,customer_id,order_date,product_id,quantity"))},
             2, mentions=("unit_price",)))
    # unknown extra columns are kept aside, not an error
    add(Case("unknown_columns", {"orders.csv": _u(csv(*(r + ",x" for r in GOOD), head=HEAD + ",warehouse"))},
             0, kept={"orders": 3}))
    add(Case("missing_file_no_orders", {"customers.csv": _u(CUST)}, 2, mentions=("orders",)))
    # --- keys and references ---------------------------------------------------------------
    add(Case("duplicate_ids", {"orders.csv": _u(good), "customers.csv": _u(CUST + "c1,شیراز\n")},
             1, quarantined={"customers": 1}, mentions=("c1",)))
    add(Case("unknown_customer", {"orders.csv": _u(csv(*GOOD, "o9,c404,2023-04-04,p1,1,1000")),
                                  "customers.csv": _u(CUST)}, 1, quarantined={"orders": 1}, mentions=("c404",)))
    add(Case("return_of_unknown_order", {"orders.csv": _u(good), "returns.csv": _u(
        "return_id,order_id,product_id,return_date\nr1,o1,p1,2023-04-10\nr2,o999,p1,2023-04-10\n")},
             1, quarantined={"returns": 1}, mentions=("o999",)))
    # --- values ----------------------------------------------------------------------------
    add(Case("negative_price", {"orders.csv": _u(csv(*GOOD, "o4,c2,2023-04-04,p2,1,-5000"))},
             1, quarantined={"orders": 1}, mentions=("unit_price",)))
    add(Case("negative_quantity", {"orders.csv": _u(csv(*GOOD, "o4,c2,2023-04-04,p2,-3,5000"))},
             1, quarantined={"orders": 1}, mentions=("quantity",)))
    add(Case("absurd_quantity", {"orders.csv": _u(csv(*GOOD, "o4,c2,2023-04-04,p2,99999999,5000"))},
             1, quarantined={"orders": 1}, mentions=("quantity",)))
    add(Case("rating_out_of_range", {"orders.csv": _u(good), "reviews.csv": _u(
        "review_id,product_id,created_at,rating,text\nr1,p1,2023-04-05,6,خوب\nr2,p1,2023-04-05,0,بد\n"
        "r3,p1,2023-04-05,4,خوبه\n")}, 1, quarantined={"reviews": 2}, mentions=("rating",)))
    add(Case("nps_11", {"orders.csv": _u(good), "surveys.csv": _u(
        "response_id,submitted_at,nps\ns1,2023-04-05,11\ns2,2023-04-05,10\ns3,2023-04-05,0\n")},
             1, quarantined={"surveys": 1}, mentions=("nps",)))
    add(Case("date_in_future", {"orders.csv": _u(csv(*GOOD, "o4,c2,2099-01-01,p2,1,5000"))},
             1, quarantined={"orders": 1}, mentions=("order_date",)))
    add(Case("delivered_before_ordered", {"orders.csv": _u(csv(
        "o1,c1,2023-04-05,p1,1,1000,2023-04-01", "o2,c1,2023-04-05,p1,1,1000,2023-04-07",
        head=HEAD + ",delivered_date"))}, 1, quarantined={"orders": 1}, mentions=("delivered_date",)))
    add(Case("resolved_before_opened", {"orders.csv": _u(good), "complaints.csv": _u(
        "ticket_id,customer_id,opened_at,resolved_at\nt1,c1,2023-04-05,2023-04-01\nt2,c1,2023-04-05,2023-04-06\n")},
             1, quarantined={"complaints": 1}, mentions=("resolved_at",)))
    add(Case("impossible_jalali_month", {"orders.csv": _u(csv(*GOOD, "o4,c2,1402/13/40,p2,1,5000"))},
             1, quarantined={"orders": 1}, mentions=("1402/13/40",)))
    # 1399 is a leap year in the 33-year cycle; 1402 is not: 1402/12/30 is impossible
    add(Case("jalali_not_leap", {"orders.csv": _u(csv("o1,c1,1402/12/29,p1,1,1000", "o2,c1,1402/12/30,p1,1,1000",
                                                     "o3,c1,1399/12/30,p1,1,1000"))},
             1, quarantined={"orders": 1}, mentions=("1402/12/30",)))
    # one column with both calendars: each value is read in its own calendar (year < 1700 is Jalali)
    add(Case("mixed_calendars", {"orders.csv": _u(csv("o1,c1,1402/01/15,p1,1,1000", "o2,c1,2023-04-05,p1,1,1000"))},
             0, kept={"orders": 2}))
    add(Case("mixed_digits", {"orders.csv": _u(csv("o1,c1,۱۴۰۲/۰۱/۱۵,p1,۲,۱۲۰٬۰۰۰", "o2,c1,٢٠٢٣-04-05,p1,1,1,200,000"
                                                  .replace("1,200,000", '"1,200,000"')))},
             0, kept={"orders": 2}))
    add(Case("currency_with_units", {"orders.csv": _u(csv('o1,c1,2023-04-01,p1,1,۱۲۰ هزار تومان',
                                                         'o2,c1,2023-04-01,p1,1,"2,500,000 ریال"'))},
             0, kept={"orders": 2}))
    add(Case("huge_text", {"orders.csv": _u(good), "reviews.csv": _u(
        "review_id,product_id,created_at,rating,text\nr1,p1,2023-04-05,5," + "خیلی" * 60000 + "\n")},
             0, kept={"reviews": 1}))
    add(Case("unparseable_date", {"orders.csv": _u(csv(*GOOD, "o4,c2,yesterday,p2,1,5000"))},
             1, quarantined={"orders": 1}, mentions=("order_date",)))
    add(Case("missing_required_value", {"orders.csv": _u(csv(*GOOD, "o4,,2023-04-04,p2,1,5000"))},
             1, quarantined={"orders": 1}, mentions=("customer_id",)))
    return c


def write(case: Case, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    return folder


def write_all(root: Path) -> list[Path]:
    return [write(k, root / k.name) for k in cases()]
