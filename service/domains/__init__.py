"""The HTTP areas of the service, one folder each: ``controller`` (routes), ``schemas`` (msgspec
request and response Structs), ``params`` (query and path parameters) and, where an area calls
the library, ``answers``. App-wide pieces (app, settings, problems, auth, caching, logs, the
worker and its job table) sit at the top of ``service``."""
