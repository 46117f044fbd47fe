// The local Stripe stand-in (issue 5): placeholder until the emulator lands.
print("stripe-emulator: not built yet")
