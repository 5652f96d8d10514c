"""What a chapter page is made of: the Chapter object, results.json assembly, framing, the teaching cells."""
