"""An order of the seller's shop as the agents see it: what was bought, paid, shipped, returned."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from cbcs.contact.errors import check, check_id, check_market
from cbcs.errors import ConfigError


class OrderStatus(str, enum.Enum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"
    REFUNDED = "refunded"
    CANCELED = "canceled"


# Statuses in which the parcel may have reached the customer (so delivered_at may be set).
_AFTER_DELIVERY = (OrderStatus.DELIVERED, OrderStatus.RETURNED, OrderStatus.REFUNDED)
# Currencies without minor units in everyday prices (ISO 4217 exponent 0).
_WHOLE_CURRENCIES = frozenset({"CLP", "JPY", "KRW", "VND", "PYG", "UGX", "XAF", "XOF"})


class OrderItem(NamedTuple):
    """One line of an order: ``(sku, name, qty, unit_price)``."""

    sku: str
    name: str
    qty: int
    unit_price: Decimal


def money(field_name: str, value: object, currency: str) -> Decimal:
    """An amount of ``currency``: a Decimal, int or decimal string, not negative, with no
    more decimals than the currency has. Floats are refused: 19.99 is not exact in binary."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ConfigError(f"{field_name}: expected an amount such as '19.99' (a string, an "
                          f"integer or a Decimal), got {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{field_name}: expected an amount such as '19.99', "
                          f"got {value!r}") from None
    places = 0 if currency in _WHOLE_CURRENCIES else 2
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 15:
        raise ConfigError(f"{field_name}: expected an amount from 0 to 10^15, got {value!r}")
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ConfigError(f"{field_name}: {currency} amounts have at most {places} decimals, "
                          f"got {value!r}")
    return amount


def _instant(field_name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{field_name}: expected Unix seconds (a number of at least 0), "
                          f"got {value!r}")
    return float(value)


def _item(index: int, value: object, currency: str) -> OrderItem:
    where = f"order.items[{index}]"
    if isinstance(value, dict):
        try:
            value = (value["sku"], value["name"], value["qty"], value["unit_price"])
        except KeyError as missing:
            raise ConfigError(f"{where}: missing {missing}") from None
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        raise ConfigError(f"{where}: expected (sku, name, qty, unit_price), got {value!r}")
    sku, name, qty, price = value
    check_id(f"{where}.sku", sku, 64)
    check(isinstance(name, str) and 0 < len(name) <= 300,
          f"{where}.name: expected 1 to 300 characters, got {name!r}")
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= 10_000:
        raise ConfigError(f"{where}.qty: expected a whole number from 1 to 10000, got {qty!r}")
    return OrderItem(sku, name, qty, money(f"{where}.unit_price", price, currency))


@dataclass(frozen=True)
class Order:
    """One order of a customer, as the seller's systems report it. Construction validates
    every field (a :class:`ConfigError` names it), so a bad order is never stored.

    ``total`` is what the customer was charged: items plus shipping, less discounts, so it
    need not equal :attr:`subtotal`. Times are Unix seconds; ``delivered_at`` is set only
    once the parcel arrived (delivered, and later returned or refunded)."""

    id: str
    customer_id: str
    market: str
    status: OrderStatus
    items: tuple[OrderItem, ...]
    currency: str
    total: Decimal
    placed_at: float
    updated_at: float
    tracking: str | None = None
    delivered_at: float | None = None

    def __post_init__(self) -> None:
        check_id("order.id", self.id)
        check_id("order.customer_id", self.customer_id)
        check_market("order.market", self.market)
        try:
            object.__setattr__(self, "status", OrderStatus(self.status))
        except ValueError:
            allowed = ", ".join(s.value for s in OrderStatus)
            raise ConfigError(f"order.status: expected one of {allowed}, "
                              f"got {self.status!r}") from None
        currency = self.currency
        check(isinstance(currency, str) and len(currency) == 3 and currency.isascii()
              and currency.isalpha() and currency.isupper(),
              f"order.currency: expected an ISO 4217 code such as 'PHP' or 'BRL', "
              f"got {currency!r}")
        items = self.items
        if isinstance(items, (str, bytes)) or not isinstance(items, (tuple, list)) or not items:
            raise ConfigError(f"order.items: expected a non-empty list of (sku, name, qty, "
                              f"unit_price), got {items!r}")
        check(len(items) <= 500, f"order.items: expected at most 500 lines, got {len(items)}")
        object.__setattr__(self, "items", tuple(_item(i, x, currency)
                                                for i, x in enumerate(items)))
        object.__setattr__(self, "total", money("order.total", self.total, currency))
        placed = _instant("order.placed_at", self.placed_at)
        updated = _instant("order.updated_at", self.updated_at)
        check(updated >= placed, f"order.updated_at: expected at least placed_at ({placed}), "
                                 f"got {updated}")
        object.__setattr__(self, "placed_at", placed)
        object.__setattr__(self, "updated_at", updated)
        check(self.tracking is None or (isinstance(self.tracking, str)
                                        and 0 < len(self.tracking) <= 128
                                        and self.tracking.isprintable()),
              f"order.tracking: expected a tracking number of 1 to 128 characters or none, "
              f"got {self.tracking!r}")
        if self.delivered_at is None:
            check(self.status is not OrderStatus.DELIVERED,
                  "order.delivered_at: a delivered order needs the time it was delivered")
        else:
            delivered = _instant("order.delivered_at", self.delivered_at)
            check(self.status in _AFTER_DELIVERY,
                  f"order.delivered_at: expected none while the order is {self.status.value}")
            check(placed <= delivered <= updated,
                  f"order.delivered_at: expected a time between placed_at ({placed}) and "
                  f"updated_at ({updated}), got {delivered}")
            object.__setattr__(self, "delivered_at", delivered)

    @property
    def subtotal(self) -> Decimal:
        """The items' price before shipping and discounts."""
        return sum((item.unit_price * item.qty for item in self.items), Decimal(0))
