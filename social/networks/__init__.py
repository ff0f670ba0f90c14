"""Network adapters: one module per network behind `base.NetworkAdapter`; `registry.get_adapter(network)`."""
