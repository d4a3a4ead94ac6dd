"""Deterministic, realistic example workbooks: the demo drive and the benchmark files.

A workbook is the shipped template (``sync.xlsx.templates.template_bytes``) with rows filled in below the
headers the way Excel stores typed cells: text as inline strings, numbers as numbers, dates as serials
in the column's date format. Everything else the template carries (the hidden ``_salesync`` stamp
sheet, headers, dropdowns, formats, the guide sheet) is kept byte for byte. The rows are spliced into
the sheets' XML: 300k customers with their events take about 10 s, where openpyxl's write-only mode
takes about a minute. Values come from a seeded ``random.Random``, never the clock: the same
arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from schema.spec import Sheet
from sync.kinds import get_kind
from sync.kinds.customers import CUSTOMERS, EVENTS, QUESTIONNAIRES
from sync.kinds.project_master import BUILDINGS, DISCOUNTS, INSTRUCTION, PLAN_LINES, PLANS, PROJECTS, ROOMS
from sync.xlsx.templates import ZIP_TIME, template_bytes

Cell = str | int | float | dt.date | dt.datetime | None
Row = tuple[Cell, ...]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏"
GIVEN = _words("伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 浩然 子涵 欣怡")
PREFIXES = _words("138 139 137 136 135 150 151 152 158 159 182 183 187 188 130 131 132 155 156 186 189 199")
ID_AREAS = _words("440305 440304 440303 440306 440307 110105 310115 430104 420106 445202")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SOURCES = _words("来访 来访 来访 来访 来电 来电 来电 老带新 网络 网络 渠道 其他")  # weighted draw
LAYOUTS = _words("两房两厅 三房两厅 三房两厅 四房两厅 复式")
NOTES = _words("关注学位 需要车位 改善型需求 首套房，关注首付 预算可上浮 周末才有空 对比周边楼盘")
FIRST_CONTENT = {
    "首次来访": _words("看样板间 带家人到访，比较户型 看沙盘，关注高楼层 了解付款方式"),
    "首次来电": _words("咨询开盘时间 询问价格区间 看到网络广告来电 了解优惠政策"),
}
FOLLOW_UPS = (
    ("回访", "电话回访，客户考虑中"),
    ("回访", "告知新推房源"),
    ("来电", "询问按揭政策"),
    ("来访", "二次到访，再看样板间"),
    ("回访", "邀约周末到访"),
)
SURVEY = {
    "purpose": _words("自住 改善 投资 子女教育"),
    "occupation": _words("企业职员 公务员 私营业主 教师 医生"),
    "residence_area": _words("南山区 福田区 宝安区 龙华区 罗湖区"),
    "channel": _words("朋友介绍 网络广告 户外广告 路过 中介"),
    "family": _words("三口之家 两口之家 三代同堂 单身"),
}
MISTAKES = ("phone", "id_check", "source")
PHONE_STYLES = ("plain", "mixed")
FULL_WIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")
PROJECT_NAMES = _words("海湾花园 滨海云著 翠湖雅苑 南山壹号 锦绣江南 香蜜湖畔")
LAYOUT_AREAS = (("两房两厅", 68, 76), ("三房两厅", 86, 98), ("三房两厅", 95, 105), ("四房两厅", 118, 132))
ORIENTATIONS = _words("南 南北 东南 西南 东 北")
DEPOSIT = ("定金", None, 50_000, 0)  # a fixed sum at subscription, credited against the next 比例 line
DOWN = ("首付款", 0.3, None, 7)
PAYMENT_PLANS = (  # code suffix, 付款方式, 签约期限天数, lines of (款项类别, 比例, 金额, 应付天数)
    ("YC", "一次性付款", 7, (DEPOSIT, ("楼款", 1, None, 7))),
    ("AJ", "商业贷款", 7, (DEPOSIT, DOWN, ("按揭款", 0.7, None, 30))),
    ("FQ", "分期付款", 10, (DEPOSIT, DOWN, ("楼款", 0.3, None, 90), ("尾款", 0.4, None, 180))),
)
DISCOUNT_OFFERS = (("98", "开盘九八折", "比例", 0.98, "否"), ("LDX", "老带新减免", "减免金额", 20_000, "是"))
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def phone_for(i: int) -> str:
    """The i-th deterministic mainland mobile: distinct for every i ≥ 0, spread over real prefixes."""
    return (
        f"{PREFIXES[i % len(PREFIXES)]}{(i * 62_089_911 + 13_572_468) % 10**8:08d}"  # a bijection below 10⁸
    )


def id_check_digit(body: str) -> str:
    """The 18th character of a 身份证 number (GB 11643, ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _id_card(rng: random.Random) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(40 * 365))
    body = f"{rng.choice(ID_AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + id_check_digit(body)


def _typed_phone(phone: str, rng: random.Random, style: str) -> Cell:
    """The phone as a rep types or pastes it."""
    r = rng.random() if style == "mixed" else 0.0
    if r < 0.55:
        return phone
    if r < 0.70:
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    if r < 0.80:
        return f"+86-{phone}"
    if r < 0.92:
        return phone.translate(FULL_WIDTH)
    return int(phone)  # typed into a General cell: Excel keeps a number


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(9, 20), rng.randrange(60)))


def _customer(
    phone: str, rng: random.Random, style: str, events: int, today: dt.date | None = None
) -> tuple[dict[str, Cell], list[Row]]:
    """One customer and its event rows: the first contact, then follow-ups 1–5 days apart.

    With ``today`` the first contacts fall in the 120 days before it and no event lies after it, so
    a demo made any day has recent activity and follow-ups still to come."""
    if today is None:
        first = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(290))
    else:
        first = today - dt.timedelta(days=rng.randrange(1, 121))
    source = rng.choice(SOURCES)
    customer: dict[str, Cell] = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "source": source}
    customer.update(
        phone=_typed_phone(phone, rng, style), first_contact_date=first, intended_layout=rng.choice(LAYOUTS)
    )
    if rng.random() < 0.3:
        customer.update(id_type="身份证", id_number=_id_card(rng))
    elif rng.random() < 0.03:
        customer.update(id_type="护照", id_number=f"E{rng.randrange(10**8):08d}")
    if rng.random() < 0.15:
        customer["other_phone"] = f"0755-{rng.randrange(2, 9)}{rng.randrange(10**7):07d}"
    if rng.random() < 0.6:
        customer.update(
            intended_project="海湾花园", intended_area=rng.choice((76, 89.5, 95, 110, 128, 143.25))
        )
    if rng.random() < 0.7:
        customer["budget"] = rng.randrange(150, 900) * 10_000
    if rng.random() < 0.25:
        customer["note"] = rng.choice(NOTES)
    kind = "首次来电" if source == "来电" or (source != "来访" and rng.random() < 0.4) else "首次来访"
    at, content = _at(first, rng), rng.choice(FIRST_CONTENT[kind])
    rows = []
    for n in range(events):
        if n:
            kind, content = rng.choice(FOLLOW_UPS)
            at = _at(at.date() + dt.timedelta(rng.randrange(1, 6)), rng)
            if today is not None and at.date() >= today:  # nothing is entered ahead of time
                break
        typed = _typed_phone(phone, rng, style)
        follow = at.date() + dt.timedelta(days=rng.randrange(3, 6)) if rng.random() < 0.6 else None
        rows.append(_rec(EVENTS, phone=typed, kind=kind, at=at, content=content, next_follow_up=follow))
    return customer, rows


def _slip(customer: dict[str, Cell], phone: str, slip: str, rng: random.Random) -> None:
    """A realistic mistake: a phone a digit short, a wrong 身份证 check digit, no 客户来源."""
    if slip == "phone":
        customer["phone"] = phone[:-1]
    elif slip == "id_check":
        number = str(customer["id_number"]) if customer.get("id_type") == "身份证" else _id_card(rng)
        wrong = "10X98765432".replace(number[-1], "")[rng.randrange(10)]
        customer.update(id_type="身份证", id_number=number[:-1] + wrong)
    else:
        customer["source"] = None


def _rec(sheet: Sheet, **values: Cell) -> Row:
    """A row in the sheet's column order, from values by field name."""
    if unknown := values.keys() - set(sheet.fields):
        raise KeyError(f"{sheet.name}: no column {sorted(unknown)}")
    return tuple(values.get(f) for f in sheet.fields)


def write_customers_workbook(
    path: Path,
    customers: int,
    *,
    seed: int = 0,
    first_phone: int = 0,
    events_per_customer: int = 1,
    phone_style: str = "mixed",
    bad_rows: int = 0,
    edited: int = 0,
    today: dt.date | None = None,
) -> Path:
    """A rep's 客户登记: customers ``phone_for(first_phone + i)``, their events, a few questionnaires.

    ``bad_rows`` customers carry a mistake (in turn: bad phone, wrong ID check digit, no 客户来源).
    ``edited`` customers, evenly spread, have their 备注 changed and nothing else differs: the file is
    the same workbook after a rep edited that many rows.
    """
    if phone_style not in PHONE_STYLES or events_per_customer < 1:
        raise ValueError(f"phone_style must be one of {PHONE_STYLES} and events_per_customer ≥ 1")
    rng, slips = random.Random(seed), random.Random(f"slips:{seed}")
    bad = {i: MISTAKES[n % 3] for n, i in enumerate(sorted(slips.sample(range(customers), bad_rows)))}
    edits = {k * customers // edited for k in range(edited)} if edited else set()
    rows: dict[str, list[Row]] = {CUSTOMERS.name: [], EVENTS.name: [], QUESTIONNAIRES.name: []}
    for i in range(customers):
        phone = phone_for(first_phone + i)
        customer, events = _customer(phone, rng, phone_style, events_per_customer, today)
        if rng.random() < 0.03:  # a deal: its questionnaire, filled days after the first contact
            first = customer["first_contact_date"]
            assert isinstance(first, dt.date)
            filled = first + dt.timedelta(rng.randrange(3, 40))
            answers = {field: rng.choice(choices) for field, choices in SURVEY.items()}
            number = f"RG{first_phone + i:07d}"
            rows[QUESTIONNAIRES.name].append(
                _rec(QUESTIONNAIRES, phone=phone, subscription_no=number, filled_date=filled, **answers)
            )
        if i in bad:
            _slip(customer, phone, bad[i], slips)
        if i in edits:
            customer["note"] = f"{customer.get('note') or ''}；二次到访，意向增强".lstrip("；")
        rows[CUSTOMERS.name].append(_rec(CUSTOMERS, **customer))
        rows[EVENTS.name] += events
    return _fill("customers", rows, path)


def _building_rooms(
    project: str, b: int, count: int, units: int, base_price: int, rng: random.Random
) -> list[Row]:
    """``count`` rooms from the 2nd floor up, two per unit and floor; areas in whole 0.01 m²."""
    rooms = []
    for n in range(count):
        level, slot = divmod(n, 2 * units)
        floor, unit, number = 2 + level, 1 + slot // 2, f"{2 + level:02d}{1 + slot % 2:02d}"
        layout, low, high = LAYOUT_AREAS[(slot + b) % len(LAYOUT_AREAS)]
        inner = rng.randrange(low * 100, high * 100)
        shared = round(inner * rng.uniform(0.18, 0.26))
        price = base_price + 150 * floor + rng.choice((0, 0, 300, 600))
        rooms.append(
            _rec(
                ROOMS,
                code=f"{project}-{b}-{unit}-{number}",
                project_code=project,
                building_code=str(b),
                unit=str(unit),
                floor=floor,
                number=number,
                layout=layout,
                orientation=rng.choice(ORIENTATIONS),
                area_gross=(inner + shared) / 100,
                area_inner=inner / 100,
                area_shared=shared / 100,
                unit_price=price,
                total_price=(price * (inner + shared) + 50) // 100,  # 单价 × 建筑面积, to the yuan
                initial_status=rng.choices(("可售", "待售", "不可售"), (75, 20, 5))[0],
            )
        )
    return rooms


def write_project_master(
    path: Path,
    *,
    rooms: int = 200,
    project_code: str = "SZ-HW01",
    region_code: str = "SZ",
    buildings: int = 4,
    seed: int = 0,
) -> Path:
    """An operator's 项目资料 for a new project priced by 建筑面积: buildings, rooms, plans, discounts."""
    rng, code = random.Random(seed), project_code
    name, opening, until = rng.choice(PROJECT_NAMES), dt.date(2026, 9, 6), dt.date(2027, 12, 31)
    base_price, per_building = rng.randrange(380, 620) * 100, -(-rooms // buildings)
    rows: dict[str, list[Row]] = {sheet.name: [] for sheet in get_kind("project_master").sheets}

    def add(sheet: Sheet, **values: Cell) -> None:
        rows[sheet.name].append(_rec(sheet, **values))

    add(PROJECTS, code=code, name=name, region_code=region_code, pricing_basis="建筑面积", open_date=opening)
    for b in range(1, buildings + 1):
        count, units = min(per_building, rooms - len(rows[ROOMS.name])), rng.choice((1, 2, 2, 3))
        top = max(
            rng.randrange(18, 34), 1 + -(-count // (2 * units))
        )  # two rooms per unit and floor, from 2F
        phase = "一期" if 2 * b <= buildings + 1 else "二期"
        add(BUILDINGS, project_code=code, compound=phase, code=str(b), name=f"{b}栋", floors=top, units=units)
        rows[ROOMS.name] += _building_rooms(code, b, count, units, base_price, rng)
    for suffix, way, days, lines in PAYMENT_PLANS:
        plan = f"{code}-{suffix}"
        add(PLANS, code=plan, project_code=code, name=way, method=way, deposit=50_000, sign_within_days=days)
        for seq, (item, ratio, amount, due) in enumerate(lines, start=1):
            add(PLAN_LINES, plan_code=plan, seq=seq, category=item, ratio=ratio, amount=amount, due_days=due)
    for suffix, title, kind, value, stackable in DISCOUNT_OFFERS:
        add(
            DISCOUNTS,
            code=f"{code}-{suffix}",
            project_code=code,
            name=title,
            kind=kind,
            value=value,
            valid_from=opening,
            valid_to=until,
            stackable=stackable,
        )
    text = f"{name}项目初始资料：{buildings} 栋 {rooms} 套房源的价格、付款方案与折扣"
    add(INSTRUCTION, instruction_date=dt.date(2026, 8, 30), instructed_by="陈刚", instruction=text)
    return _fill("project_master", rows, path)


# -- splicing rows into the template ------------------------------------------------------------------------


def _cell(ref: str, value: Cell, style: str) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}"{style} t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    if isinstance(value, dt.datetime):
        value = (value - EXCEL_EPOCH) / dt.timedelta(days=1)
    elif isinstance(value, dt.date):
        value = (value - EXCEL_EPOCH.date()).days
    return f'<c r="{ref}"{style}><v>{value}</v></c>'


def _column_styles(head: str, width: int) -> list[str]:
    """The ``s`` attribute of each column's cells: the template's column format (text, date, 0.00)."""
    styles = [""] * width
    for attrs in re.findall(r"<col ([^>]*)/>", head):
        col = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
        for c in range(int(col["min"]) - 1, min(int(col["max"]), width)):
            styles[c] = f' s="{col["style"]}"' if "style" in col else ""
    return styles


def _sheet_xml(template_xml: str, rows: Sequence[Row]) -> Iterator[bytes]:
    """The template sheet's XML with ``rows`` after its header row, in chunks."""
    head, tail = template_xml.split("</sheetData>")
    width = max(len(row) for row in rows)
    letters = [get_column_letter(c + 1) for c in range(width)]
    styles = _column_styles(head, width)
    yield re.sub(
        r'<dimension ref="[^"]*"', f'<dimension ref="A1:{letters[-1]}{len(rows) + 1}"', head
    ).encode()
    batch: list[str] = []
    for r, row in enumerate(rows, start=2):
        cells = "".join(_cell(f"{letters[c]}{r}", v, styles[c]) for c, v in enumerate(row) if v is not None)
        batch.append(f'<row r="{r}">{cells}</row>')
        if len(batch) == 5000:
            yield "".join(batch).encode()
            batch.clear()
    yield ("".join(batch) + "</sheetData>" + tail).encode()


def _sheet_parts(template: zipfile.ZipFile) -> dict[str, str]:
    """Zip member → sheet name, from the workbook part and its relationships."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    rels = ElementTree.fromstring(template.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): str(rel.get("Target")).lstrip("/") for rel in rels}
    sheets = ElementTree.fromstring(template.read("xl/workbook.xml")).iter(f"{main}sheet")
    return {targets[sheet.get(rid)]: str(sheet.get("name")) for sheet in sheets}


def _fill(kind_id: str, rows: Mapping[str, Sequence[Row]], path: Path) -> Path:
    """Write the kind's template to ``path`` with ``rows`` (by sheet name, in spec column order) filled in."""
    template = zipfile.ZipFile(io.BytesIO(template_bytes(get_kind(kind_id))))
    parts = _sheet_parts(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
        for name in template.namelist():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 0
            filled = rows.get(parts.get(name, ""))
            if not filled:
                out.writestr(info, template.read(name))
                continue
            with out.open(info, "w") as fh:
                for chunk in _sheet_xml(template.read(name).decode(), filled):
                    fh.write(chunk)
    return path
