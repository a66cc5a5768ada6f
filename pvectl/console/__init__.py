"""``pvectl vm console``: a VM's serial console over PVE's termproxy and vncwebsocket.

protocol: the bytes of PVE's terminal protocol (both directions); connect: the termproxy call and the pinned
websocket; session: the loop between our terminal and the websocket; terminal: raw mode and signals.
"""
