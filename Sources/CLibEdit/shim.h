/// System headers of libedit (BSD editline), found through pkg-config
/// ("libedit"; Debian/Ubuntu package libedit-dev, Homebrew "libedit").
///
/// `histedit.h` is libedit's native API (EditLine, History, el_*, history());
/// `editline/readline.h` is its GNU-readline compatibility layer. The rlhf
/// front end uses the native API through the LineEditShims C target, because
/// most of it is variadic (el_set, el_get, history) and cannot be called from
/// Swift directly.
#include <stdio.h>
#include <histedit.h>
#include <editline/readline.h>
