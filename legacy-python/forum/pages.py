def routes(router):
    pass
