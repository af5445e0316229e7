"""The contact-centre domain: customers, conversations, messages, agents, shifts, queues,
tasks, reservations, tickets, knowledge-base articles and the seller's orders. Plain Python,
time passed in, no I/O: the store keeps these, the routing engine decides over them."""

from cbcs.contact.agent import Agent, AgentKind, AgentLive, Presence, CHANNELS, DEFAULT_CAPACITY
from cbcs.contact.conversation import Conversation, ConversationState
from cbcs.contact.customer import Customer
from cbcs.contact.errors import ContactError, InvalidTransition
from cbcs.contact.knowledge import Article
from cbcs.contact.message import AuthorRole, Message, MessageKind
from cbcs.contact.order import Order, OrderItem, OrderStatus
from cbcs.contact.queue import Queue, Step
from cbcs.contact.shift import WeeklyShift
from cbcs.contact.task import Reservation, ReservationStatus, Task, TaskStatus
from cbcs.contact.ticket import Ticket, TicketPriority, TicketStatus

__all__ = [
    "Agent", "AgentKind", "AgentLive", "Article", "AuthorRole", "CHANNELS", "ContactError", "Conversation",
    "ConversationState", "Customer", "DEFAULT_CAPACITY", "InvalidTransition", "Message",
    "MessageKind", "Order", "OrderItem", "OrderStatus", "Presence", "Queue", "Reservation",
    "ReservationStatus", "Step", "Task", "TaskStatus", "Ticket", "TicketPriority",
    "TicketStatus", "WeeklyShift",
]
