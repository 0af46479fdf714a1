"""Safe routes: OSM road networks, hazards, the risk-aware router, reachability."""
