/* commands.h — declarations of every command handler in commands.def. */
#ifndef RILL_COMMANDS_H
#define RILL_COMMANDS_H

#include "command.h"

#define CMD(name, fn, ...) cmd_fn fn;
#define SUB(parent, name, fn, ...) cmd_fn fn;
#include "commands.def"
#undef CMD
#undef SUB

#endif
