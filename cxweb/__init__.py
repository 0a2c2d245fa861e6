"""The web layer: the Dash app factory, its pages and assets, and the HTTP guard in front of them."""
