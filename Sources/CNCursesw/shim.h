#ifndef KRPC_CNCURSESW_SHIM_H
#define KRPC_CNCURSESW_SHIM_H
/* Without NCURSES_WIDECHAR the wide-character API (mvaddwstr, cchar_t, get_wch) is not declared.
   pkgConfig's -D flags are dropped by SwiftPM, so the define lives here. */
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <stdio.h>
#include <ncursesw/curses.h>

/* Attribute macros expand through NCURSES_BITS, which Swift cannot import. */
static inline attr_t cnc_A_NORMAL(void) { return A_NORMAL; }
static inline attr_t cnc_A_BOLD(void) { return A_BOLD; }
static inline attr_t cnc_A_REVERSE(void) { return A_REVERSE; }
static inline attr_t cnc_A_DIM(void) { return A_DIM; }
static inline attr_t cnc_A_UNDERLINE(void) { return A_UNDERLINE; }
static inline attr_t cnc_A_CHARTEXT(void) { return A_CHARTEXT; }
static inline WINDOW *cnc_stdscr(void) { return stdscr; }
static inline int cnc_colors(void) { return COLORS; }
static inline int cnc_color_pairs(void) { return COLOR_PAIRS; }
static inline int cnc_key_resize(void) { return KEY_RESIZE; }
/* Mouse masks are built from function-like macros. */
static inline mmask_t cnc_button1_click_mask(void) { return BUTTON1_CLICKED | BUTTON1_PRESSED; }
#endif
