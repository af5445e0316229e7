"""Casa Lumen, a made-up home-goods brand in Shenzhen selling to seven markets.

Everything ``cbcs demo-shop`` loads, as plain domain objects: agents in five time zones
speaking eight languages, a queue per market and language with fallbacks by language and
a default, knowledge-base articles per market and language, customers and their orders.
Times are relative to ``now`` so the orders always look recent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from cbcs.contact import (Agent, Article, Customer, Order, OrderItem, OrderStatus, Queue, Step,
                          WeeklyShift)

if TYPE_CHECKING:
    from cbcs.store.sql import SqlStore

DAY = 86400.0

#: (id, name, time zone, languages, skills, markets, local shift)
_AGENTS = [
    ("maria", "Maria Santos", "Asia/Manila", {"en": 5, "tl": 5}, {"returns": 4, "payments": 3},
     ["PH"], {"mon-sat": "08:00-17:00"}),
    ("jose", "Jose Reyes", "Asia/Manila", {"tl": 5, "en": 4}, {"delivery": 4},
     ["PH"], {"mon-fri": "13:00-22:00"}),
    ("andi", "Andi Pratama", "Asia/Jakarta", {"id": 5, "en": 3}, {"delivery": 3, "returns": 3},
     ["ID"], {"mon-sat": "08:00-17:00"}),
    ("ana", "Ana Oliveira", "America/Sao_Paulo", {"pt-BR": 5, "es": 3, "en": 3},
     {"returns": 5, "payments": 4}, ["BR"], {"mon-fri": "09:00-18:00"}),
    ("rafael", "Rafael Costa", "America/Sao_Paulo", {"pt-BR": 5}, {"delivery": 4},
     ["BR"], {"tue-sat": "12:00-21:00"}),
    ("lucia", "Lucia Hernandez", "America/Mexico_City", {"es": 5, "en": 4},
     {"returns": 4, "payments": 4}, ["MX"], {"mon-fri": "08:00-17:00"}),
    ("diego", "Diego Ramirez", "America/Mexico_City", {"es": 5}, {"delivery": 3},
     ["MX"], {"sat-sun": "10:00-19:00"}),
    ("wei", "Chen Wei", "Asia/Shanghai", {"zh": 5, "en": 4}, {"returns": 5, "payments": 5},
     ["PH", "ID", "TH", "VN", "MX", "BR"], {"mon-fri": "09:00-18:00"}),
    ("nong", "Nong Siriporn", "Asia/Shanghai", {"th": 5, "zh": 4, "en": 3},
     {"returns": 3, "delivery": 3}, ["TH"], {"mon-sat": "09:00-18:00"}),
    ("linh", "Nguyen Thi Linh", "Asia/Shanghai", {"vi": 5, "zh": 4, "en": 3},
     {"returns": 3, "delivery": 3}, ["VN"], {"mon-sat": "09:00-18:00"}),
]

#: market -> its languages, the first the main one
MARKETS = {"PH": ["en", "tl"], "ID": ["id"], "TH": ["th"], "VN": ["vi"], "BR": ["pt-BR"],
           "MX": ["es"]}
CURRENCIES = {"PH": "PHP", "ID": "IDR", "TH": "THB", "VN": "VND", "BR": "BRL", "MX": "MXN"}

#: (market, language, slug, title, body)
_ARTICLES = [
    ("PH", "en", "cash-on-delivery", "Cash on delivery",
     "You can pay cash on delivery for orders up to PHP 50,000 in Metro Manila, Cebu and "
     "Davao. Have the exact amount ready; the courier cannot give change above PHP 1,000."),
    ("PH", "en", "returns", "Returns and refunds",
     "Return any item within 30 days of delivery. Furniture is collected from your home for "
     "free. Refunds reach GCash or your card within 5 working days of the return arriving."),
    ("PH", "tl", "cash-on-delivery", "Bayad pagdating (COD)",
     "Puwede kang magbayad ng cash pagdating ng order hanggang PHP 50,000 sa Metro Manila, "
     "Cebu at Davao. Ihanda ang eksaktong halaga."),
    ("PH", "tl", "returns", "Pagbabalik at refund",
     "Maaari mong ibalik ang anumang item sa loob ng 30 araw mula nang matanggap. Libre ang "
     "pagkuha ng furniture sa bahay mo."),
    ("ID", "id", "returns", "Pengembalian dan refund",
     "Barang dapat dikembalikan dalam 30 hari setelah diterima. Dana dikembalikan ke "
     "rekening atau e-wallet Anda dalam 5 hari kerja."),
    ("ID", "id", "shipping", "Pengiriman",
     "Pesanan ke Jabodetabek tiba dalam 3-5 hari kerja, ke luar Jawa 7-10 hari kerja."),
    ("TH", "th", "returns", "การคืนสินค้าและการคืนเงิน",
     "คืนสินค้าได้ภายใน 30 วันหลังได้รับสินค้า เงินจะคืนเข้าบัญชีภายใน 5 วันทำการ"),
    ("TH", "th", "shipping", "การจัดส่ง",
     "สินค้าถึงกรุงเทพฯ ภายใน 3-5 วันทำการ ต่างจังหวัด 5-8 วันทำการ"),
    ("VN", "vi", "returns", "Đổi trả và hoàn tiền",
     "Bạn có thể trả hàng trong vòng 30 ngày kể từ khi nhận. Tiền được hoàn trong 5 ngày "
     "làm việc."),
    ("VN", "vi", "cash-on-delivery", "Thanh toán khi nhận hàng",
     "Bạn có thể thanh toán tiền mặt khi nhận hàng cho đơn đến 20.000.000 VND."),
    ("BR", "pt-BR", "returns", "Trocas e devoluções",
     "Você pode devolver qualquer produto em até 30 dias após a entrega. O reembolso cai no "
     "Pix ou no cartão em até 5 dias úteis depois que a devolução chega."),
    ("BR", "pt-BR", "boleto", "Pagamento com boleto",
     "O boleto vence em 3 dias úteis; o pedido é enviado quando o pagamento é compensado."),
    ("MX", "es", "returns", "Devoluciones y reembolsos",
     "Puedes devolver cualquier artículo dentro de los 30 días posteriores a la entrega. "
     "Recogemos los muebles en tu domicilio sin costo."),
    ("MX", "es", "shipping", "Envíos",
     "Los pedidos llegan a la Ciudad de México en 3 a 5 días hábiles y al resto del país en "
     "5 a 9."),
]

#: (id, name, market, language, time zone, tier)
_CUSTOMERS = [
    ("cust-ph-1", "Angelica Cruz", "PH", "en", "Asia/Manila", "gold"),
    ("cust-ph-2", "Mark Villanueva", "PH", "tl", "Asia/Manila", "standard"),
    ("cust-id-1", "Siti Rahayu", "ID", "id", "Asia/Jakarta", "standard"),
    ("cust-th-1", "Somchai Wongsa", "TH", "th", "Asia/Bangkok", "standard"),
    ("cust-vn-1", "Tran Van Minh", "VN", "vi", "Asia/Ho_Chi_Minh", "standard"),
    ("cust-br-1", "Juliana Souza", "BR", "pt-BR", "America/Sao_Paulo", "vip"),
    ("cust-br-2", "Carlos Lima", "BR", "pt-BR", "America/Recife", "standard"),
    ("cust-mx-1", "Fernanda Lopez", "MX", "es", "America/Mexico_City", "standard"),
]

#: (customer, order number, status, days ago, items (sku, name, qty, unit price), total)
_ORDERS = [
    ("cust-ph-1", "1001", "shipped", 4, [("sofa-3", "Lumen three-seat sofa", 1, "18999.00")],
     "19249.00"),
    ("cust-ph-1", "0950", "delivered", 40, [("lamp-arc", "Arc floor lamp", 2, "2450.00")],
     "4900.00"),
    ("cust-ph-2", "1002", "paid", 1, [("rug-2x3", "Woven rug 2x3 m", 1, "6200.00")], "6400.00"),
    ("cust-id-1", "1003", "delivered", 9, [("chair-oak", "Oak dining chair", 4, "850000")],
     "3450000"),
    ("cust-th-1", "1004", "shipped", 3, [("shelf-5", "Five-tier shelf", 1, "3290.00")],
     "3390.00"),
    ("cust-vn-1", "1005", "placed", 0, [("bed-q", "Queen bed frame", 1, "7990000")],
     "8090000"),
    ("cust-br-1", "1006", "delivered", 12, [("sofa-3", "Sofá Lumen três lugares", 1,
                                            "3899.90")], "3999.90"),
    ("cust-br-2", "1007", "returned", 20, [("table-r", "Round side table", 1, "459.90")],
     "489.90"),
    ("cust-mx-1", "1008", "shipped", 2, [("lamp-arc", "Lámpara de arco", 1, "1899.00")],
     "1998.00"),
]


@dataclass(frozen=True)
class Shop:
    """What the demo seller consists of."""

    agents: list[Agent]
    queues: list[Queue]
    articles: list[Article]
    customers: list[Customer]
    orders: list[Order]

    @property
    def languages(self) -> set[str]:
        return {lang for a in self.agents for lang in a.languages}

    @property
    def time_zones(self) -> set[str]:
        return {a.time_zone for a in self.agents}


def _queues() -> list[Queue]:
    speaks_well = "agent.languages[task.language] >= 4"
    in_market = "task.market in agent.markets"
    queues = []
    for market, languages in MARKETS.items():
        for language in languages:
            # a local expert first, then anyone fluent, then (after two minutes) anyone
            # with live translation
            queues.append(Queue(f"{market}-{language}", target=speaks_well, steps=[
                Step(f"{speaks_well} and {in_market}", 30),
                Step(speaks_well, 90),
                Step("", None, translate=True)], max_wait_s=900))
    for language in ("en", "es", "zh"):
        queues.append(Queue(language, target="agent.languages[task.language] >= 3",
                            steps=[Step("", None)], max_wait_s=900))
    queues.append(Queue("default", steps=[Step("", None, translate=True)], max_wait_s=1800))
    return queues


def build(now: float) -> Shop:
    """The demo seller as of ``now`` (Unix seconds)."""
    agents = [Agent(id, name=name, languages=languages, skills=skills, markets=tuple(markets),
                    time_zone=zone, shift=WeeklyShift.parse(shift), capacity={"chat": 4, "voice": 1, "video": 1})
              for id, name, zone, languages, skills, markets, shift in _AGENTS]
    articles = [Article(market, lang, slug, title, body, now)
                for market, lang, slug, title, body in _ARTICLES]
    customers = [Customer(id, language, market, zone, tier, name)
                 for id, name, market, language, zone, tier in _CUSTOMERS]
    market_of = {c.id: c.market for c in customers}
    orders = []
    for customer, number, status, days_ago, items, total in _ORDERS:
        market = market_of[customer]
        placed = now - days_ago * DAY - 3600
        delivered = placed + 2 * DAY if status in ("delivered", "returned") else None
        updated = max(placed, (delivered or placed) + (DAY if status == "returned" else 0))
        lines = tuple(OrderItem(sku, name, qty, Decimal(price))
                      for sku, name, qty, price in items)
        orders.append(Order(f"{market}-{number}", customer, market, OrderStatus(status),
                            lines, CURRENCIES[market], Decimal(total), placed_at=placed,
                            updated_at=updated, delivered_at=delivered,
                            tracking=f"CL{market}{number}00" if status != "placed"
                            and status != "paid" else None))
    return Shop(agents, _queues(), articles, customers, orders)


async def put_into(store: SqlStore, shop: Shop, now: float) -> None:
    """The shop's agents, queues, articles, customers and orders into ``store``."""
    for agent in shop.agents:
        await store.put_agent(agent, now)
    for queue in shop.queues:
        await store.put_queue(queue, now)
    for article in shop.articles:
        await store.put_article(article)
    for customer in shop.customers:
        await store.put_customer(customer, now)
    for order in shop.orders:
        await store.put_order(order, now)
