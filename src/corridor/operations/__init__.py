"""Operations, partner participation, invitations and the gazetteer."""
