"""What the first-tier agent says, in each of the markets' languages.

Every sentence the agent composes comes from here, with its facts filled in from the
order connector, the knowledge base or the ticket it opened: nothing else is stated. Dates
are written ISO style (2026-11-29), the same in every language. A missing language falls
back to English (and the reply check then sends the conversation to a person).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from cbcs.ai.text import fold

LANGUAGES = ("en", "es", "pt-BR", "id", "th", "vi", "tl", "zh")

_P: dict[str, dict[str, str]] = {
    "status.placed": {
        "en": "received and waiting for payment", "es": "recibido y en espera de pago",
        "pt-BR": "recebido e aguardando pagamento", "id": "diterima dan menunggu pembayaran",
        "th": "ได้รับแล้วและรอการชำระเงิน", "vi": "đã được tiếp nhận và đang chờ thanh toán",
        "tl": "natanggap na at naghihintay ng bayad", "zh": "已收到，等待付款"},
    "status.paid": {
        "en": "paid and being prepared", "es": "pagado y en preparación",
        "pt-BR": "pago e em preparação", "id": "sudah dibayar dan sedang disiapkan",
        "th": "ชำระเงินแล้วและกำลังเตรียมจัดส่ง", "vi": "đã thanh toán và đang được chuẩn bị",
        "tl": "bayad na at inihahanda na", "zh": "已付款，正在备货"},
    "status.shipped": {
        "en": "on its way", "es": "en camino", "pt-BR": "a caminho",
        "id": "sedang dalam perjalanan", "th": "อยู่ระหว่างจัดส่ง", "vi": "đang trên đường giao",
        "tl": "papunta na sa iyo", "zh": "正在配送中"},
    "status.delivered": {
        "en": "delivered", "es": "entregado", "pt-BR": "entregue", "id": "sudah diterima",
        "th": "จัดส่งถึงแล้ว", "vi": "đã được giao", "tl": "naihatid na", "zh": "已送达"},
    "status.returned": {
        "en": "returned to us", "es": "devuelto a nosotros", "pt-BR": "devolvido para nós",
        "id": "sudah dikembalikan ke kami", "th": "ส่งคืนถึงเราแล้ว", "vi": "đã được trả lại cho chúng tôi",
        "tl": "naibalik na sa amin", "zh": "已退回给我们"},
    "status.refunded": {
        "en": "refunded", "es": "reembolsado", "pt-BR": "reembolsado",
        "id": "sudah direfund", "th": "คืนเงินแล้ว", "vi": "đã được hoàn tiền",
        "tl": "na-refund na", "zh": "已退款"},
    "status.canceled": {
        "en": "canceled", "es": "cancelado", "pt-BR": "cancelado", "id": "dibatalkan",
        "th": "ยกเลิกแล้ว", "vi": "đã bị hủy", "tl": "kanselado na", "zh": "已取消"},
    "order": {
        "en": "Your order {order} ({items}) is {status}.",
        "es": "Tu pedido {order} ({items}) está {status}.",
        "pt-BR": "Seu pedido {order} ({items}) está {status}.",
        "id": "Pesanan {order} ({items}) {status}.",
        "th": "คำสั่งซื้อ {order} ({items}) {status}ค่ะ",
        "vi": "Đơn hàng {order} ({items}) {status}.",
        "tl": "Ang order mo na {order} ({items}) ay {status}.",
        "zh": "您的订单 {order}（{items}）{status}。"},
    "tracking": {
        "en": "Tracking number: {tracking}.", "es": "Número de rastreo: {tracking}.",
        "pt-BR": "Código de rastreio: {tracking}.", "id": "Nomor resi: {tracking}.",
        "th": "เลขพัสดุ: {tracking}", "vi": "Mã vận đơn: {tracking}.",
        "tl": "Tracking number: {tracking}.", "zh": "物流单号：{tracking}。"},
    "delivered_on": {
        "en": "It was delivered on {date}.", "es": "Se entregó el {date}.",
        "pt-BR": "Foi entregue em {date}.", "id": "Diterima pada {date}.",
        "th": "จัดส่งถึงเมื่อ {date}", "vi": "Đã giao ngày {date}.",
        "tl": "Naihatid ito noong {date}.", "zh": "已于 {date} 送达。"},
    "ask_order": {
        "en": "Could you tell me your order number?",
        "es": "¿Me compartes tu número de pedido?",
        "pt-BR": "Pode me informar o número do pedido?",
        "id": "Boleh minta nomor pesanannya?",
        "th": "รบกวนแจ้งหมายเลขคำสั่งซื้อด้วยค่ะ",
        "vi": "Bạn cho mình xin mã đơn hàng nhé?",
        "tl": "Pwede ko bang malaman ang order number mo?",
        "zh": "请告诉我您的订单号。"},
    "which_order": {
        "en": "Which order do you mean: {orders}?", "es": "¿De qué pedido se trata: {orders}?",
        "pt-BR": "De qual pedido você fala: {orders}?",
        "id": "Pesanan yang mana: {orders}?", "th": "หมายถึงคำสั่งซื้อใดคะ: {orders}",
        "vi": "Bạn hỏi về đơn nào: {orders}?", "tl": "Aling order ang tinutukoy mo: {orders}?",
        "zh": "您指的是哪个订单：{orders}？"},
    "no_such_order": {
        "en": "I can't find order {order} on your account. Could you check the number?",
        "es": "No encuentro el pedido {order} en tu cuenta. ¿Puedes revisar el número?",
        "pt-BR": "Não encontrei o pedido {order} na sua conta. Pode conferir o número?",
        "id": "Pesanan {order} tidak ditemukan di akun Anda. Bisa dicek lagi nomornya?",
        "th": "ไม่พบคำสั่งซื้อ {order} ในบัญชีของคุณ รบกวนตรวจสอบหมายเลขอีกครั้งค่ะ",
        "vi": "Mình không tìm thấy đơn {order} trong tài khoản của bạn. Bạn kiểm tra lại mã giúp mình nhé?",
        "tl": "Hindi ko makita ang order {order} sa account mo. Pakicheck ulit ang number?",
        "zh": "您的账户中没有找到订单 {order}，请核对一下订单号。"},
    "no_answer": {
        "en": "I don't have a reliable answer to that, so I'm passing you to a colleague.",
        "es": "No tengo una respuesta segura a eso, así que te paso con un compañero.",
        "pt-BR": "Não tenho uma resposta segura para isso, então vou passar você para um colega.",
        "id": "Saya belum punya jawaban pasti untuk itu, jadi saya teruskan ke rekan kami.",
        "th": "ขออภัยค่ะ ยังไม่มีคำตอบที่แน่นอนสำหรับเรื่องนี้ จะส่งต่อให้เจ้าหน้าที่ค่ะ",
        "vi": "Mình chưa có câu trả lời chắc chắn cho việc này, mình sẽ chuyển bạn sang đồng nghiệp.",
        "tl": "Wala akong siguradong sagot diyan, kaya ipapasa kita sa kasamahan ko.",
        "zh": "这个问题我没有可靠的答案，我为您转接同事。"},
    "handoff": {
        "en": "I'm passing you to a colleague who will continue here (ticket {ticket}).",
        "es": "Te paso con un compañero que seguirá aquí contigo (ticket {ticket}).",
        "pt-BR": "Vou passar você para um colega que vai continuar aqui (ticket {ticket}).",
        "id": "Saya teruskan ke rekan kami yang akan melanjutkan di sini (tiket {ticket}).",
        "th": "จะส่งต่อให้เจ้าหน้าที่ดูแลต่อที่นี่ค่ะ (ตั๋ว {ticket})",
        "vi": "Mình chuyển bạn sang đồng nghiệp để tiếp tục hỗ trợ tại đây (phiếu {ticket}).",
        "tl": "Ipapasa kita sa kasamahan ko na tutulong sa iyo dito (ticket {ticket}).",
        "zh": "我为您转接同事，他会在这里继续为您处理（工单 {ticket}）。"},
    "ticket": {
        "en": "I've opened ticket {ticket} for this; our team will follow up.",
        "es": "Abrí el ticket {ticket} para esto; nuestro equipo le dará seguimiento.",
        "pt-BR": "Abri o ticket {ticket} para isso; nossa equipe vai dar retorno.",
        "id": "Saya sudah membuat tiket {ticket}; tim kami akan menindaklanjuti.",
        "th": "เปิดตั๋ว {ticket} ให้แล้วค่ะ ทีมงานจะติดตามเรื่องให้",
        "vi": "Mình đã mở phiếu {ticket}; đội ngũ sẽ liên hệ lại với bạn.",
        "tl": "Nagbukas ako ng ticket {ticket} para dito; babalikan ka ng team namin.",
        "zh": "我已为此创建工单 {ticket}，我们的团队会跟进。"},
    "already_shipped": {
        "en": "Order {order} has already shipped.", "es": "El pedido {order} ya fue enviado.",
        "pt-BR": "O pedido {order} já foi enviado.", "id": "Pesanan {order} sudah dikirim.",
        "th": "คำสั่งซื้อ {order} จัดส่งออกไปแล้วค่ะ", "vi": "Đơn {order} đã được gửi đi.",
        "tl": "Naipadala na ang order {order}.", "zh": "订单 {order} 已经发货。"},
    "photo": {
        "en": "I'm sorry about that. Please send a photo of the item and its box.",
        "es": "Lamento mucho lo ocurrido. Envíanos una foto del artículo y de la caja, por favor.",
        "pt-BR": "Sinto muito por isso. Envie uma foto do produto e da caixa, por favor.",
        "id": "Mohon maaf atas kejadian ini. Silakan kirim foto barang dan kardusnya.",
        "th": "ขออภัยเป็นอย่างยิ่งค่ะ รบกวนส่งรูปสินค้าและกล่องมาด้วยนะคะ",
        "vi": "Rất xin lỗi bạn. Bạn gửi giúp mình ảnh sản phẩm và hộp nhé.",
        "tl": "Pasensya na po. Pakisend ng litrato ng item at ng kahon nito.",
        "zh": "非常抱歉。请发送商品和包装箱的照片。"},
    "goodbye": {
        "en": "You're welcome! Write to us any time.", "es": "¡Con gusto! Escríbenos cuando quieras.",
        "pt-BR": "Por nada! Fale com a gente quando quiser.",
        "id": "Sama-sama! Hubungi kami kapan saja.", "th": "ยินดีค่ะ ติดต่อเราได้ตลอดเวลานะคะ",
        "vi": "Không có gì ạ! Bạn cứ nhắn cho shop bất cứ lúc nào.",
        "tl": "Walang anuman! Mag-message ka lang anumang oras.",
        "zh": "不客气！随时联系我们。"},
    "hello": {
        "en": "Hello! How can I help you today?", "es": "¡Hola! ¿En qué te puedo ayudar?",
        "pt-BR": "Olá! Como posso ajudar?", "id": "Halo! Ada yang bisa kami bantu?",
        "th": "สวัสดีค่ะ มีอะไรให้ช่วยไหมคะ", "vi": "Xin chào! Shop có thể giúp gì cho bạn?",
        "tl": "Hello po! Paano kami makakatulong?", "zh": "您好！请问有什么可以帮您？"},
    "sorry": {
        "en": "I'm sorry for the trouble.", "es": "Lamento las molestias.",
        "pt-BR": "Sinto muito pelo transtorno.", "id": "Mohon maaf atas ketidaknyamanannya.",
        "th": "ขออภัยในความไม่สะดวกค่ะ", "vi": "Xin lỗi bạn vì sự bất tiện này.",
        "tl": "Pasensya na sa abala.", "zh": "给您带来不便，非常抱歉。"},
    # the handoff summary, in the human agent's language
    "summary": {
        "en": "{customer} ({market}, writes {lang}) asks about {intent}; {order}feels {emotion}. "
              "Why a person: {reason}. Last message: \"{text}\"",
        "es": "{customer} ({market}, escribe en {lang}) consulta por {intent}; {order}se siente "
              "{emotion}. Motivo: {reason}. Último mensaje: \"{text}\"",
        "pt-BR": "{customer} ({market}, escreve em {lang}) pergunta sobre {intent}; {order}está "
                 "{emotion}. Motivo: {reason}. Última mensagem: \"{text}\"",
        "id": "{customer} ({market}, menulis {lang}) bertanya soal {intent}; {order}merasa "
              "{emotion}. Alasan: {reason}. Pesan terakhir: \"{text}\"",
        "th": "{customer} ({market}, ภาษา {lang}) สอบถามเรื่อง {intent}; {order}อารมณ์ {emotion} "
              "เหตุผล: {reason} ข้อความล่าสุด: \"{text}\"",
        "vi": "{customer} ({market}, viết {lang}) hỏi về {intent}; {order}cảm xúc: {emotion}. "
              "Lý do: {reason}. Tin nhắn cuối: \"{text}\"",
        "tl": "{customer} ({market}, {lang}) nagtatanong tungkol sa {intent}; {order}{emotion}. "
              "Dahilan: {reason}. Huling mensahe: \"{text}\"",
        "zh": "{customer}（{market}，使用{lang}）咨询{intent}；{order}情绪：{emotion}。"
              "转人工原因：{reason}。最后一条消息：“{text}”"},
    "summary.order": {
        "en": "order {order} ({status}); ", "es": "pedido {order} ({status}); ",
        "pt-BR": "pedido {order} ({status}); ", "id": "pesanan {order} ({status}); ",
        "th": "คำสั่งซื้อ {order} ({status}); ", "vi": "đơn {order} ({status}); ",
        "tl": "order {order} ({status}); ", "zh": "订单 {order}（{status}）；"},
}


def say(key: str, lang: str, /, **facts: Any) -> str:
    """The sentence ``key`` in ``lang`` (English where it has none) with ``facts`` filled in."""
    table = _P[key]
    return table.get(lang, table["en"]).format(**facts)


def has(lang: str) -> bool:
    """Whether the agent speaks ``lang`` itself."""
    return lang in LANGUAGES


#: words that greet in the markets' languages, folded as :func:`cbcs.ai.text.fold` does
_GREETINGS = frozenset(fold(w) for w in (
    "hi hello hey hiya hallo halo hai helo good morning afternoon evening day there "
    "hola buenos buenas dias tardes noches ola oi bom boa dia tarde noite "
    "selamat pagi siang sore malam xin chao ban a kumusta magandang umaga hapon gabi po "
    "sawasdee sawatdee everyone team shop admin kak min ka kha krub khrap").split() + [
    "สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีคะ", "ครับ", "ค่ะ", "你好", "您好", "嗨", "哈喽",
    "早上好", "下午好", "晚上好", "在吗"])


def is_greeting(text: str) -> bool:
    """Whether ``text`` only greets ("Hi", "Buenas tardes", "Olá, boa noite", "สวัสดีครับ",
    "你好"): a turn to answer with a greeting, not with a goodbye."""
    words = "".join(c if c.isalnum() or unicodedata.category(c).startswith("M") else " "
                    for c in fold(text)).split()
    return 0 < len(words) <= 5 and all(w in _GREETINGS for w in words)
