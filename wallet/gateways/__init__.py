"""Payment gateways behind one interface. Each adapter turns our Payment/Refund into the
provider's calls and the provider's answers into a `GatewayUpdate`; the state machine in
wallet.payments decides what happens. Only the adapters know a provider's wire format.

One module per provider (sandbox, razorpay, phonepe) behind this import path."""

from wallet.gateways.base import GatewayUnavailable, GatewayUpdate, Order
from wallet.gateways.phonepe import PhonePeGateway
from wallet.gateways.razorpay import RazorpayGateway
from wallet.gateways.sandbox import SandboxGateway

__all__ = ["GATEWAYS", "GatewayUnavailable", "GatewayUpdate", "Order", "gateway_get"]

GATEWAYS = {gateway.name: gateway for gateway in (SandboxGateway(), RazorpayGateway(), PhonePeGateway())}


def gateway_get(name: str):
    return GATEWAYS[name]
