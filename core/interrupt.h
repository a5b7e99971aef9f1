#pragma once

namespace vedkit {

// Ctrl-C (SIGINT) and SIGTERM set a flag instead of killing the process, so long work can
// save and stop at the next safe point. A second Ctrl-C exits at once.
void install_interrupt_handler();
bool interrupt_requested();
void clear_interrupt();

}  // namespace vedkit
