//! The demo story, scripted (filled in below).
