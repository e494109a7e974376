"""A camera's RTSP server for the lab: GStreamer's RTSP server (Debian's
gir1.2-gst-rtsp-server-1.0) serving a VP8 test pattern at /live.
Usage: python3 rtsp_server.py PORT"""
import sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_service(sys.argv[1] if len(sys.argv) > 1 else "8554")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch("( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=10/1 ! vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay name=pay0 pt=96 )")
factory.set_shared(True)
server.get_mount_points().add_factory("/live", factory)
server.attach(None)
GLib.MainLoop().run()
