"""One image job from request to settled credits: the request (request.py), its checks
and resolved options (service.py), the run and the lifecycle after a restart."""
