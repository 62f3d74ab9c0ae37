/* tf.now(): the monotonic clock every engine uses (seconds, float). */
#include "tf_clock.h"
#include "tf_lua.h"

static int l_now(lua_State *L) {
  lua_pushnumber(L, (lua_Number)tf_clock_now());
  return 1;
}

void tf_open_clock(lua_State *L) {
  lua_pushcfunction(L, l_now);
  lua_setfield(L, -2, "now");
}
