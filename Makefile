# Shortcuts; the scripts are the source of truth.
.PHONY: build test demo testdata man install-man

PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man

build:
	go build -o bin/hsdecode ./cmd/hsdecode
test:
	bash scripts/test.sh
demo:
	bash scripts/demo.sh
testdata:
	bash scripts/make-testdata.sh
# The manual page, made from the flag definitions by hsdecode --man.
man: bin/hsdecode.1
bin/hsdecode.1: build
	bin/hsdecode --man > $@
install-man: man
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 bin/hsdecode.1 $(DESTDIR)$(MANDIR)/man1/hsdecode.1
