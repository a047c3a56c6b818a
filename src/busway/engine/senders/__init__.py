"""One sender per target kind; each turns an attempt into a ``SendResult``, never an exception."""
