"""What other apps call in realtime, under the import path they have always used.

The code lives in realtime.notifications, realtime.announcements and the publishing layer
(realtime.publish); none of them imports competitions, so domain apps may call them.
"""

from realtime.announcements import announcement_create
from realtime.notifications import notification_create, notifications_mark_read
from realtime.publish import access_recheck

__all__ = ["access_recheck", "announcement_create", "notification_create", "notifications_mark_read"]
